/**
 * The one way pai-deploy talks to a person or a machine reading its output (aws-cdk-cli's IoHost): every message,
 * question and long step goes through here, so the library code never touches a terminal. Three hosts implement it
 * (src/cli/io/): terminal (live display, prompts), plain (lines on stderr, defaults or "pass --flag") and JSON lines.
 */
export type IoLevel = 'error' | 'warn' | 'info' | 'debug';

export interface IoMessage {
  level: IoLevel;
  /** Stable, machine-matchable code, e.g. `check.host-key-recorded`. */
  code: string;
  text: string;
  /** The phase id the message belongs to, when a phase is running. */
  phase?: string;
  /** The machine the message is about. */
  host?: string;
  /** Structured details for the JSON host; never secrets. */
  data?: Record<string, unknown>;
}

/**
 * What a prompt's validate says about an answer: true accepts it, a string refuses it and is shown under the prompt
 * (the user edits the answer and tries again). It may take a moment (a validation that reads files): then a promise.
 */
export type IoVerdict = string | true;
export type IoValidate = (value: string) => IoVerdict | Promise<IoVerdict>;

export type IoQuestion<T> =
  | { kind: 'confirm'; code: string; text: string; default?: boolean; flag?: string }
  | {
      kind: 'input';
      code: string;
      text: string;
      default?: string;
      flag?: string;
      validate?: IoValidate;
    }
  /** Never has a default (a secret is never shown); a host without a terminal always needs the flag. */
  | { kind: 'password'; code: string; text: string; flag?: string; validate?: IoValidate }
  /**
   * Several lines at once (a pasted machine list): the terminal opens the user's editor ($VISUAL, $EDITOR) on a
   * temporary file holding `default`; the saved text is the answer. `postfix` names the file's ending (`.txt`), so the
   * editor picks its highlighting. Never for secrets: the text passes through a file.
   */
  | {
      kind: 'editor';
      code: string;
      text: string;
      default?: string;
      flag?: string;
      validate?: IoValidate;
      postfix?: string;
    }
  | {
      kind: 'select';
      code: string;
      text: string;
      choices: ReadonlyArray<{ value: T; name: string }>;
      default?: T;
      flag?: string;
    };

export type SpanOutcome = 'ok' | 'warn' | 'failed' | 'skipped';

/** A long step (a phase, one machine's checks): begun, updated, ended with an outcome; the host measures elapsed time. */
export interface Span {
  update(text: string): void;
  end(outcome: SpanOutcome, text?: string): void;
}

export interface SpanOptions {
  phase?: string;
  host?: string;
}

export interface IoHost {
  /** A message for the person running the command (stderr, or a JSON line). */
  notify(message: IoMessage): void;
  /**
   * The command's result (a report, findings, a plan): written to stdout exactly as given. Resolves once written;
   * a closed stdout (EPIPE) resolves too, as the reader has gone.
   */
  result(text: string): Promise<void>;
  /**
   * Asks a question. A host that cannot ask (no terminal) answers with the default and says so, and without a default
   * throws a UsageError naming `flag`.
   */
  request<T>(question: IoQuestion<T>): Promise<T>;
  span(title: string, options?: SpanOptions): Span;
  /** Whether colour escapes may be written to stdout (decided per stream: NO_COLOR, FORCE_COLOR, isTTY). */
  readonly stdoutColour: boolean;
  /**
   * Whether request() asks a person (the terminal host with a terminal on stdin). False or absent: questions are
   * answered with their defaults or refused with a UsageError, so a command can say at once what to pass instead
   * (quick-start prints scriptedRunHelp() rather than starting its wizard).
   */
  readonly interactive?: boolean;
  /** Stops any live display and flushes what is buffered; idempotent. */
  close(): Promise<void>;
}
