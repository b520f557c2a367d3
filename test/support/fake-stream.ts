import { Writable } from 'node:stream';

/**
 * A writable that stands in for stdout/stderr in the I/O host tests: each write() is kept apart (one redraw of the
 * live display is one chunk), it can pose as a sized terminal, and it can fail every write with an errno code
 * (EPIPE, ENOSPC).
 */
export class FakeStream extends Writable {
  readonly chunks: string[] = [];
  isTTY: boolean;
  columns: number | undefined;
  rows: number | undefined;
  failWith: string | undefined;

  constructor(options: { isTTY?: boolean; columns?: number; rows?: number; failWith?: string } = {}) {
    super({ decodeStrings: false });
    this.isTTY = options.isTTY ?? false;
    this.columns = options.columns;
    this.rows = options.rows;
    this.failWith = options.failWith;
  }

  override _write(chunk: string, _encoding: string, callback: (error?: Error | null) => void): void {
    if (this.failWith !== undefined)
      return callback(Object.assign(new Error(`write ${this.failWith}`), { code: this.failWith }));
    this.chunks.push(String(chunk));
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}
