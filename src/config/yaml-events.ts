import { createRequire } from 'node:module';
import type * as JsYaml from 'js-yaml';
import type { DocumentDirective, Event } from 'js-yaml';

const loadCommonJs = createRequire(import.meta.url);
/**
 * js-yaml's CommonJS build, which Node loads a few milliseconds faster than its ES module build; every CLI
 * start pays for it, as validate must stay as fast as with the old line-based reader.
 */
export const jsYaml = loadCommonJs('js-yaml') as typeof JsYaml;
const { EVENT_ID, parseEvents } = jsYaml;

/**
 * The event stream of a YAML text, from js-yaml's parser. That parser is recursive, so on the main thread's stack
 * it manages about 1,500 levels of nesting; deeper documents (and, for the async reader, large ones, so that
 * parsing can be abandoned the moment the user presses Ctrl-C) are parsed in a worker thread with a large stack,
 * which sends the events back packed in an Int32Array.
 */

/** Where js-yaml stopped, with 0-based line and column as its YAMLException marks them. */
export interface ParseFailure {
  reason: string;
  line: number;
  column: number;
  /** True when the document nests deeper than even the worker's stack allows. */
  tooDeep: boolean;
}

export type ParseOutcome = { events: Event[] } | { failure: ParseFailure };

/** No limit from js-yaml's own depth check: nesting is bounded by the stack, and overflowing it is handled here. */
const PARSER_OPTIONS = { maxDepth: Number.MAX_SAFE_INTEGER };
/** The worker's stack; about 40 bytes per level of nesting are needed, so this holds millions of levels. */
const WORKER_STACK_MB = 512;
/** The synchronous fallback waits this long for the worker before reporting the file as unreadable. */
const SYNC_WORKER_TIMEOUT_MS = 5 * 60_000;
/** Slots per event in the packed form. */
const SLOTS = 10;

/** Loaded on first use: most files never need a worker, and every CLI start would pay for the module. */
const threads = () => process.getBuiltinModule('node:worker_threads');

/** Parses on the calling thread; undefined when the nesting overflows the stack (then use a worker). */
export function parseInThread(text: string): ParseOutcome | undefined {
  try {
    return { events: parseEvents(text, PARSER_OPTIONS) };
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    return { failure: failureOf(error) };
  }
}

/** Parses on the calling thread, falling back to a blocking worker when the nesting overflows the stack. */
export function parseEventsSync(text: string): ParseOutcome {
  return parseInThread(text) ?? parseInWorkerSync(text);
}

/** Parses in a worker thread; aborting the signal terminates the worker at once. */
export async function parseEventsInWorker(text: string, signal: AbortSignal | undefined): Promise<PackedOutcome> {
  signal?.throwIfAborted();
  const { Worker } = threads();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { text, jsYaml: jsYamlPath(), sync: false },
    resourceLimits: { stackSizeMb: WORKER_STACK_MB },
  });
  worker.unref();
  try {
    return await new Promise<PackedOutcome>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason ?? abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (message: WorkerReply) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outcomeOf(message));
      });
      worker.once('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        resolve({ failure: failureOf(error) });
      });
      worker.once('exit', (code) => {
        signal?.removeEventListener('abort', onAbort);
        resolve({
          failure: { reason: `the YAML parser stopped (exit code ${code})`, line: 0, column: 0, tooDeep: false },
        });
      });
    });
  } finally {
    void worker.terminate();
  }
}

export function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Events packed by the worker: SLOTS ints per event, document directives aside. */
export type PackedOutcome = { packed: Int32Array; directives: DocumentDirective[][] } | { failure: ParseFailure };

/**
 * Unpacks events [from, to) into `out`. The async reader calls it in slices between its yields to the event loop.
 */
export function unpackEvents(
  packed: Int32Array,
  directives: DocumentDirective[][],
  from: number,
  to: number,
  out: Event[],
): void {
  for (let i = from; i < to; i++) {
    const at = i * SLOTS;
    const type = packed[at]!;
    switch (type) {
      case EVENT_ID.DOCUMENT:
        out.push({
          type: EVENT_ID.DOCUMENT,
          explicitStart: packed[at + 1] === 1,
          explicitEnd: packed[at + 2] === 1,
          directives: directives[packed[at + 3]!] ?? [],
        });
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        out.push({
          type: type === EVENT_ID.SEQUENCE ? EVENT_ID.SEQUENCE : EVENT_ID.MAPPING,
          start: packed[at + 1]!,
          anchorStart: packed[at + 2]!,
          anchorEnd: packed[at + 3]!,
          tagStart: packed[at + 4]!,
          tagEnd: packed[at + 5]!,
          style: packed[at + 6] as 1 | 2,
        });
        break;
      case EVENT_ID.SCALAR: {
        const flags = packed[at + 7]!;
        out.push({
          type: EVENT_ID.SCALAR,
          valueStart: packed[at + 1]!,
          valueEnd: packed[at + 2]!,
          anchorStart: packed[at + 3]!,
          anchorEnd: packed[at + 4]!,
          tagStart: packed[at + 5]!,
          tagEnd: packed[at + 6]!,
          style: (flags & 0xf) as 1 | 2 | 3 | 4 | 5,
          chomping: ((flags >> 4) & 0xf) as 1 | 2 | 3,
          fast: (flags & 0x100) !== 0,
          indent: packed[at + 8]!,
        });
        break;
      }
      case EVENT_ID.ALIAS:
        out.push({ type: EVENT_ID.ALIAS, anchorStart: packed[at + 1]!, anchorEnd: packed[at + 2]! });
        break;
      default:
        out.push({ type: EVENT_ID.POP });
    }
  }
}

export function packedLength(packed: Int32Array): number {
  return packed.length / SLOTS;
}

interface WorkerReply {
  buffer?: ArrayBuffer;
  directives?: DocumentDirective[][];
  failure?: ParseFailure;
}

function outcomeOf(reply: WorkerReply | undefined): PackedOutcome {
  if (!reply) return { failure: { reason: 'the YAML parser did not answer', line: 0, column: 0, tooDeep: false } };
  if (reply.failure) return { failure: reply.failure };
  return { packed: new Int32Array(reply.buffer!), directives: reply.directives ?? [] };
}

function parseInWorkerSync(text: string): ParseOutcome {
  const { MessageChannel, receiveMessageOnPort, Worker } = threads();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { text, jsYaml: jsYamlPath(), sync: true, port: port2, flag },
    transferList: [port2],
    resourceLimits: { stackSizeMb: WORKER_STACK_MB },
  });
  worker.unref();
  try {
    const waited = Atomics.wait(flag, 0, 0, SYNC_WORKER_TIMEOUT_MS);
    const received = receiveMessageOnPort(port1) as { message: WorkerReply } | undefined;
    if (waited === 'timed-out' && !received)
      return { failure: { reason: 'the YAML parser did not finish in time', line: 0, column: 0, tooDeep: false } };
    const outcome = outcomeOf(received?.message);
    if ('failure' in outcome) return outcome;
    const events: Event[] = [];
    unpackEvents(outcome.packed, outcome.directives, 0, packedLength(outcome.packed), events);
    return { events };
  } finally {
    port1.close();
    void worker.terminate();
  }
}

function failureOf(error: unknown): ParseFailure {
  if (error instanceof RangeError)
    return { reason: 'the document is nested too deeply to be read', line: 0, column: 0, tooDeep: true };
  const mark = (error as { mark?: { line?: number; column?: number } }).mark;
  const reason = (error as { reason?: unknown }).reason;
  return {
    reason: typeof reason === 'string' ? reason : error instanceof Error ? error.message : String(error),
    line: mark?.line ?? 0,
    column: mark?.column ?? 0,
    tooDeep: false,
  };
}

let resolvedJsYaml: string | undefined;
function jsYamlPath(): string {
  resolvedJsYaml ??= loadCommonJs.resolve('js-yaml');
  return resolvedJsYaml;
}

/**
 * The worker, as CommonJS source for `eval: true`: a separate worker file would not exist when the sources run
 * untranspiled under the test runner. It parses, packs the events and either posts them (async) or posts them on
 * the given port and wakes the caller blocked in Atomics.wait (sync).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let reply;
try {
  const { parseEvents } = require(workerData.jsYaml);
  const events = parseEvents(workerData.text, { maxDepth: ${Number.MAX_SAFE_INTEGER} });
  const packed = new Int32Array(events.length * ${SLOTS});
  const directives = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const at = i * ${SLOTS};
    packed[at] = e.type;
    switch (e.type) {
      case ${EVENT_ID.DOCUMENT}:
        packed[at + 1] = e.explicitStart ? 1 : 0;
        packed[at + 2] = e.explicitEnd ? 1 : 0;
        packed[at + 3] = directives.push(e.directives) - 1;
        break;
      case ${EVENT_ID.SEQUENCE}:
      case ${EVENT_ID.MAPPING}:
        packed[at + 1] = e.start; packed[at + 2] = e.anchorStart; packed[at + 3] = e.anchorEnd;
        packed[at + 4] = e.tagStart; packed[at + 5] = e.tagEnd; packed[at + 6] = e.style;
        break;
      case ${EVENT_ID.SCALAR}:
        packed[at + 1] = e.valueStart; packed[at + 2] = e.valueEnd; packed[at + 3] = e.anchorStart;
        packed[at + 4] = e.anchorEnd; packed[at + 5] = e.tagStart; packed[at + 6] = e.tagEnd;
        packed[at + 7] = e.style | (e.chomping << 4) | (e.fast ? 0x100 : 0); packed[at + 8] = e.indent;
        break;
      case ${EVENT_ID.ALIAS}:
        packed[at + 1] = e.anchorStart; packed[at + 2] = e.anchorEnd;
        break;
    }
  }
  reply = { buffer: packed.buffer, directives };
} catch (error) {
  const tooDeep = error instanceof RangeError;
  reply = { failure: {
    reason: tooDeep ? 'the document is nested too deeply to be read' : String(error && error.reason || error && error.message || error),
    line: error && error.mark ? error.mark.line : 0,
    column: error && error.mark ? error.mark.column : 0,
    tooDeep,
  } };
}
const transfer = reply.buffer ? [reply.buffer] : [];
if (workerData.sync) {
  workerData.port.postMessage(reply, transfer);
  Atomics.store(workerData.flag, 0, 1);
  Atomics.notify(workerData.flag, 0);
} else {
  parentPort.postMessage(reply, transfer);
}
`;
