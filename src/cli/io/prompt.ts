import { InterruptedError } from '../../errors.js';
import type { IoQuestion } from '../../ports/io-host.js';
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
      case 'input': {
        const validate = question.validate;
        return (await prompts.input(
          { message, default: question.default, validate: validate && ((value: string) => validate(value)) },
          context,
        )) as T;
      }
      case 'password':
        return (await prompts.password({ message, mask: true }, context)) as T;
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
