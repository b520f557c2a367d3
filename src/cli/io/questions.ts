import { UsageError } from '../../errors.js';
import type { IoQuestion, IoVerdict } from '../../ports/io-host.js';
import { escapeControl } from './escape.js';

/**
 * How a host that cannot ask (no terminal, --progress plain/json) answers: with the question's default, and says so;
 * without one it stops with a UsageError naming the flag that answers it instead. Password questions never have a
 * default, so they always need their flag.
 */
export interface DefaultAnswer<T> {
  readonly value: T;
  /** The default as the user would see it: `yes`, the choice's name, the input text. */
  readonly shown: string;
}

export function flagName(flag: string): string {
  return flag.startsWith('-') ? flag : `--${flag}`;
}

/**
 * The default answer, undefined when there is none; throws a UsageError when the input default fails validation.
 * A validation that takes a moment (returns a promise) makes the answer a promise too.
 */
export function defaultAnswer<T>(
  question: IoQuestion<T>,
): DefaultAnswer<T> | undefined | Promise<DefaultAnswer<T> | undefined> {
  switch (question.kind) {
    case 'password':
      return undefined;
    case 'confirm':
      // The union does not tie T to the kind, so a confirm question's T is boolean by convention.
      return question.default === undefined
        ? undefined
        : { value: question.default as T, shown: question.default ? 'yes' : 'no' };
    case 'input':
    case 'editor': {
      const given = question.default;
      if (given === undefined) return undefined;
      const accept = (verdict: IoVerdict): DefaultAnswer<T> => {
        if (verdict !== true) {
          throw new UsageError(
            `${escapeControl(question.text)}: the default "${escapeControl(given)}" is not accepted: ${escapeControl(verdict)}`,
            flagHint(question.flag),
          );
        }
        return { value: given as T, shown: given };
      };
      const verdict = question.validate?.(given) ?? true;
      return verdict instanceof Promise ? verdict.then(accept) : accept(verdict);
    }
    case 'select': {
      if (question.default === undefined) return undefined;
      const choice = question.choices.find((candidate) => Object.is(candidate.value, question.default));
      return { value: question.default, shown: choice?.name ?? String(question.default) };
    }
  }
}

/** `question text: using the default "x" (pass --flag to choose)`, escaped for a terminal. */
export function usingDefaultText(question: IoQuestion<unknown>, shown: string): string {
  const choose = question.flag === undefined ? '' : ` (pass ${flagName(question.flag)} to choose)`;
  return `${escapeControl(question.text)}: using the default "${escapeControl(shown)}"${choose}`;
}

/** The error for a question without a default that cannot be asked. */
export function unanswerable(question: IoQuestion<unknown>): UsageError {
  const text = escapeControl(question.text);
  if (question.flag === undefined)
    return new UsageError(
      `${text} needs an answer, and there is no terminal to ask it on`,
      'Run the command on a terminal to be asked.',
    );
  return new UsageError(`${text} needs an answer: pass ${flagName(question.flag)}`, flagHint(question.flag));
}

function flagHint(flag: string | undefined): string {
  const pass = flag === undefined ? 'run on a terminal to be asked' : `pass ${flagName(flag)} to answer it`;
  return `Questions are asked only when stdin and stderr are a terminal (not with --progress plain or json); ${pass}.`;
}

/**
 * Answers the way every host that cannot ask does: the default (after `announce` has told the user), or the
 * UsageError. `announce` is given the text of the stderr line.
 */
export function answerWithoutAsking<T>(
  question: IoQuestion<T>,
  announce: (answer: DefaultAnswer<T> | undefined) => void,
): T | Promise<T> {
  const settle = (answer: DefaultAnswer<T> | undefined): T => {
    announce(answer);
    if (answer === undefined) throw unanswerable(question);
    return answer.value;
  };
  const answer = defaultAnswer(question);
  return answer instanceof Promise ? answer.then(settle) : settle(answer);
}
