import { InterruptedError } from '../../errors.js';
import type { IoQuestion, IoValidate, IoVerdict } from '../../ports/io-host.js';
import { escapeControl } from './escape.js';
import type { HostInput, HostStream } from './streams.js';

export interface PromptStreams {
  readonly input: HostInput;
  /** Prompts are drawn on stderr, so stdout stays the command's result. */
  readonly output: HostStream;
  /** The run's abort signal: an open prompt is cancelled with it. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Asks on the terminal with @inquirer/prompts. Imported here, on the first question, so that commands that never ask
 * (and --help) do not load it. Ctrl-C inside a prompt (the prompt holds the terminal in raw mode, so no SIGINT
 * arrives) becomes the InterruptedError the CLI maps to exit 130, and so does an abort of the run while a prompt is open.
 */
export async function askOnTerminal<T>(question: IoQuestion<T>, streams: PromptStreams): Promise<T> {
  const prompts = await import('@inquirer/prompts');
  const context = {
    input: streams.input,
    output: streams.output,
    ...(streams.signal ? { signal: streams.signal } : {}),
  };
  const message = escapeControl(question.text);
  try {
    switch (question.kind) {
      case 'confirm':
        // The union does not tie T to the kind: a confirm question's T is boolean by convention.
        return (await prompts.confirm({ message, default: question.default }, context)) as T;
      case 'input':
        return (await prompts.input(
          { message, default: question.default, validate: promptValidate(question.validate) },
          context,
        )) as T;
      case 'password':
        return (await prompts.password(
          { message, mask: true, validate: promptValidate(question.validate) },
          context,
        )) as T;
      case 'editor':
        return (await prompts.editor(
          {
            message,
            default: question.default,
            postfix: question.postfix ?? '.txt',
            validate: promptValidate(question.validate),
          },
          context,
        )) as T;
      case 'select':
        return await prompts.select<T>(
          {
            message,
            default: question.default,
            choices: question.choices.map((choice) => ({ value: choice.value, name: escapeControl(choice.name) })),
          },
          context,
        );
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new InterruptedError('SIGINT');
    if (error instanceof Error && error.name === 'AbortPromptError') {
      const reason: unknown = streams.signal?.reason;
      throw new InterruptedError(typeof reason === 'string' ? reason : 'abort', { cause: error });
    }
    throw error;
  }
}

/**
 * A question's validate as inquirer calls it: what it refuses with is shown under the prompt, escaped (it may quote
 * what the user typed or a file held); a validate that throws is shown the same way rather than ending the prompt.
 */
function promptValidate(validate: IoValidate | undefined): ((value: string) => Promise<boolean | string>) | undefined {
  if (validate === undefined) return undefined;
  return async (value: string) => {
    let verdict: IoVerdict;
    try {
      verdict = await validate(value);
    } catch (error) {
      verdict = error instanceof Error ? error.message : String(error);
    }
    return verdict === true ? true : escapeControl(verdict, { multiline: true });
  };
}
