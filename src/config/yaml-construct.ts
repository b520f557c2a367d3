import type { DocumentEvent, Event, MappingEvent, ScalarEvent, SequenceEvent } from 'js-yaml';
import { jsYaml } from './yaml-events.js';
import {
  ConstructError,
  constructScalar,
  coreTag,
  implicitTag,
  keyIdentity,
  keyText,
  YAML_TAG_PREFIX,
  type CoreTag,
} from './yaml-values.js';

/**
 * Builds the value of a YAML document from js-yaml's event stream, the way PyYAML's SafeLoader would build it
 * (see yaml-values.ts for the scalars), and records where every key and value starts so findings can name a line
 * and column. It walks the flat event list with an explicit stack, never recursing, so nesting depth costs heap,
 * not call stack; and it can stop after a time budget and resume, so the async reader can yield to the event loop.
 */

/** Where the children of a mapping start: keys in order, then a key offset and a value offset per key. */
export interface MapPositions {
  kind: 'map';
  keys: string[];
  /** keyOffset, valueOffset for keys[0], then for keys[1], ... */
  offsets: number[];
  children: (Positions | undefined)[];
  /** Built on first lookup in a large mapping. */
  index?: Map<string, number>;
}

export interface SeqPositions {
  kind: 'seq';
  offsets: number[];
  children: (Positions | undefined)[];
}

export type Positions = MapPositions | SeqPositions;

/** Something PyYAML (or the parser) would stop at, or a duplicate key; `offset` is into the parsed text. */
export interface Problem {
  code: string;
  offset: number;
  message: string;
  /** False only for duplicate keys: PyYAML keeps the last value, and so does the value built here. */
  fatal: boolean;
}

const { COLLECTION_STYLE, EVENT_ID, getScalarValue, SCALAR_STYLE } = jsYaml;
const DONE_EVENT: Event = { type: EVENT_ID.POP };
/** A UTF-16 surrogate without its pair: only a \u escape in a double-quoted string produces one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const SCALAR = 0;
const SEQ = 1;
const MAP = 2;
type Kind = typeof SCALAR | typeof SEQ | typeof MAP;

/**
 * Aliases may add at most this many nodes beyond a base allowance, in proportion to the document: enough for
 * every machine of a large layout to merge a template, far too little for a "billion laughs" document.
 */
const ALIAS_BASE_ALLOWANCE = 100_000;
const ALIAS_NODES_PER_EVENT = 10;
/** Past this many problems the rest are not worth reporting. */
const MAX_PROBLEMS = 50;
/** YAML, and PyYAML's scanner, let an implicit key ("key: value", no "?") span at most 1024 characters. */
const MAX_IMPLICIT_KEY = 1024;

interface Frame {
  map: boolean;
  tag: CoreTag;
  value: unknown[] | Record<string, unknown>;
  positions: Positions;
  offset: number;
  anchor: string | undefined;
  weight: number;
  /** A sequence whose items are all mappings can be a merge source. */
  allMaps: boolean;
  hasKey: boolean;
  key: string;
  keyId: string | undefined;
  keyOffset: number;
  keyMerge: boolean;
  keyValue: unknown;
  /**
   * The mapping as a Python dict, once it needs one: from its first key that is not a string (1, true and 1.0 are
   * one key in Python, and are not the string "1"), or when merges are applied. Keyed by key identity.
   */
  dict: Map<string, Entry> | undefined;
  /** In dict mode: the identity whose value each stored key text holds (the last distinct key to use the text). */
  owners: Map<string, string> | undefined;
  merges: MergeSource[] | undefined;
  /** For !!set: the key values in order, by identity. */
  setValues: Map<string, unknown> | undefined;
  /** For a mapping that is an item of !!omap or !!pairs: its (single) key. */
  firstKey: unknown;
  pairs: number;
}

interface Entry {
  key: string;
  value: unknown;
  keyOffset: number;
  valueOffset: number;
  child: Positions | undefined;
}

interface MergeSource {
  value: Record<string, unknown>;
  /** Its keys in document order (an object lists integer-like keys first). */
  keys: readonly string[];
  /** Present when the source is written in place, so merged keys can point into it; absent through an alias. */
  positions: MapPositions | undefined;
  keyOffset: number;
  offset: number;
}

interface Anchored {
  pending: boolean;
  value: unknown;
  /** The mapping's keys in document order, for merging it. */
  keys: readonly string[] | undefined;
  kind: Kind;
  weight: number;
  allMaps: boolean;
  keyText: string;
  keyId: string | undefined;
  merge: boolean;
}

/** A finished node on its way to its parent. One instance is reused for every node. */
interface Done {
  value: unknown;
  /** Where the node's properties (anchor, tag) or, without them, its content start; -1 when unknown. */
  start: number;
  keys: readonly string[] | undefined;
  kind: Kind;
  offset: number;
  positions: Positions | undefined;
  weight: number;
  allMaps: boolean;
  keyText: string;
  keyId: string | undefined;
  merge: boolean;
  firstKey: unknown;
  pairs: number;
}

export class YamlConstruction {
  /** The document's value once run() has returned true (undefined when there was no document). */
  value: unknown = undefined;
  rootOffset = 0;
  rootPositions: Positions | undefined;
  readonly problems: Problem[] = [];
  /** Set when a problem makes the value meaningless; run() then returns true at once. */
  stopped = false;

  private index = 0;
  private readonly stack: Frame[] = [];
  private readonly anchors = new Map<string, Anchored>();
  /**
   * For mappings built in dict mode: the full dict, for merging them. Their object can hold fewer entries (two
   * keys Python tells apart may share a text), and a merge must see every pair, as PyYAML's does.
   */
  private readonly dicts = new WeakMap<object, Map<string, Entry>>();
  private readonly done: Done = {
    value: undefined,
    start: -1,
    keys: undefined,
    kind: SCALAR,
    offset: 0,
    positions: undefined,
    weight: 1,
    allMaps: false,
    keyText: '',
    keyId: undefined,
    merge: false,
    firstKey: undefined,
    pairs: 0,
  };
  private lastEnd = 0;
  private documents = 0;
  private tagHandles: Record<string, string> = {};
  private aliasNodes = 0;
  private readonly aliasAllowance: number;
  private uniqueCounter = 0;
  /** [start, end) of every quoted and block scalar, kept only when the text has tabs (see checkTabs). */
  private readonly literalRanges: number[] | undefined;

  constructor(
    private readonly text: string,
    /** Consumed: each event is dropped once processed. */
    private readonly events: Event[],
  ) {
    this.aliasAllowance = ALIAS_BASE_ALLOWANCE + ALIAS_NODES_PER_EVENT * events.length;
    this.literalRanges = text.includes('\t') ? [] : undefined;
  }

  /** Processes events until done (true) or until performance.now() passes `deadline` (false: call again). */
  run(deadline: number): boolean {
    const events = this.events;
    const count = events.length;
    const plainText = this.literalRanges === undefined;
    let index = this.index;
    while (index < count && !this.stopped) {
      if ((index & 1023) === 0 && deadline !== Infinity && performance.now() > deadline) {
        this.index = index;
        return false;
      }
      const event = events[index]!;
      // Let the event go: a processed event is garbage, and keeping 100k-odd of them alive makes every young
      // collection during the construction copy them.
      events[index++] = DONE_EVENT;
      // Most scalars of a layout are untagged, unanchored strings without escapes: those take a short path.
      if (
        event.type === EVENT_ID.SCALAR &&
        event.fast &&
        event.tagStart === -1 &&
        event.anchorStart === -1 &&
        plainText &&
        this.stringScalar(event)
      )
        continue;
      this.step(event);
    }
    this.index = index;
    if (!this.stopped && this.literalRanges) this.checkTabs();
    return true;
  }

  private step(event: Event): void {
    switch (event.type) {
      case EVENT_ID.SCALAR:
        this.scalar(event);
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        this.open(event);
        break;
      case EVENT_ID.POP:
        if (this.stack.length > 0) this.close();
        break;
      case EVENT_ID.ALIAS:
        this.alias(event.anchorStart, event.anchorEnd);
        break;
      case EVENT_ID.DOCUMENT:
        this.document(event);
        break;
    }
  }

  private document(event: DocumentEvent): void {
    this.documents++;
    if (this.documents > 1) {
      // PyYAML's safe_load reads exactly one document: "expected a single document in the stream".
      this.problem(
        'yaml-multiple-docs',
        this.nextDocumentOffset(),
        'the file holds more than one YAML document (a second "---")',
        true,
      );
      this.stopped = true;
      return;
    }
    this.tagHandles = {};
    for (const directive of event.directives)
      if (directive.kind === 'tag') this.tagHandles[directive.handle] = directive.prefix;
  }

  private scalar(event: ScalarEvent): void {
    const text = this.text;
    const style = event.style;
    const start = event.valueStart;
    let offset: number;
    if (start === -1) {
      offset = event.tagStart !== -1 ? event.tagStart : event.anchorStart !== -1 ? event.anchorStart - 1 : -1;
      this.lastEnd = Math.max(this.lastEnd, event.anchorEnd, event.tagEnd);
    } else if (style === SCALAR_STYLE.PLAIN) {
      offset = start;
      this.lastEnd = event.valueEnd;
    } else if (style === SCALAR_STYLE.SINGLE_QUOTED || style === SCALAR_STYLE.DOUBLE_QUOTED) {
      offset = start - 1;
      this.lastEnd = event.valueEnd + 1;
      this.literalRanges?.push(start - 1, event.valueEnd + 1);
    } else {
      offset = blockHeaderOffset(text, start);
      this.lastEnd = event.valueEnd;
      this.literalRanges?.push(start, event.valueEnd);
    }
    const source = event.fast ? text.slice(start, event.valueEnd) : getScalarValue(text, event);

    this.checkProperties(event.anchorEnd, event.tagStart, event.tagEnd);
    let tag: CoreTag | undefined;
    if (event.tagStart === -1) tag = style === SCALAR_STYLE.PLAIN ? implicitTag(source) : 'str';
    else {
      const raw = text.slice(event.tagStart, event.tagEnd);
      // PyYAML resolves a scalar with the non-specific tag "!" as if it were plain, even a quoted one.
      tag = raw === '!' ? implicitTag(source) : this.explicitTag(raw, event.tagStart);
    }

    const parent = this.stack[this.stack.length - 1];
    const asKey = parent !== undefined && parent.map && !parent.hasKey;
    const done = this.done;
    done.kind = SCALAR;
    done.keys = undefined;
    done.offset = offset;
    done.start = earliest(earliest(offset, event.tagStart), event.anchorStart === -1 ? -1 : event.anchorStart - 1);
    done.positions = undefined;
    done.weight = 1;
    done.allMaps = false;
    done.merge = false;
    done.keyId = undefined;
    done.firstKey = undefined;
    done.pairs = 0;
    if (tag === undefined) {
      done.value = null;
    } else if (asKey && tag === 'merge') {
      done.value = '<<';
      done.merge = true;
    } else if (asKey && tag === 'value') {
      // PyYAML's flatten_mapping turns an `=` key into the string "=".
      done.value = source;
    } else {
      try {
        done.value = constructScalar(tag, source);
      } catch (error) {
        if (!(error instanceof ConstructError)) throw error;
        this.problem(
          'yaml-bad-value',
          offset === -1 ? this.lastEnd : offset,
          `${error.message} (PyYAML cannot load this value)`,
          true,
        );
        done.value = null;
      }
    }
    const value = done.value;
    if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
      // Only an escape ("\ud800") makes one; libyaml (Ansible's parser) refuses it, and no file can carry it back.
      this.problem(
        'yaml-bad-value',
        offset === -1 ? this.lastEnd : offset,
        'the string holds a lone UTF-16 surrogate (an escape like \\ud800 without its pair), which Ansible cannot read',
        true,
      );
    }
    if (typeof value === 'string') {
      done.keyText = value;
    } else if (asKey || event.anchorStart !== -1) {
      done.keyText = keyText(tag ?? 'null', value, source);
      done.keyId = keyIdentity(value, done.keyText, () => this.uniqueCounter++);
    } else {
      done.keyText = '';
    }
    if (event.anchorStart !== -1) {
      const name = this.anchorName(event.anchorStart, event.anchorEnd);
      this.anchors.set(name, {
        pending: false,
        value,
        keys: undefined,
        kind: SCALAR,
        weight: 1,
        allMaps: false,
        keyText: done.keyText,
        keyId: done.keyId,
        merge: done.merge,
      });
    }
    this.deliver();
  }

  /** The fast path of scalar(): false (and nothing changed) when the general path is needed. */
  private stringScalar(event: ScalarEvent): boolean {
    const style = event.style;
    const plain = style === SCALAR_STYLE.PLAIN;
    if (!plain && style !== SCALAR_STYLE.DOUBLE_QUOTED && style !== SCALAR_STYLE.SINGLE_QUOTED) return false;
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) return false;
    const end = event.valueEnd;
    const value = this.text.slice(event.valueStart, end);
    if (plain && implicitTag(value) !== 'str') return false;
    const offset = plain ? event.valueStart : event.valueStart - 1;
    if (parent.map) {
      if (!parent.hasKey) {
        if (end - offset > MAX_IMPLICIT_KEY - 8) return false;
        parent.hasKey = true;
        parent.key = value;
        parent.keyId = undefined;
        parent.keyOffset = offset;
        parent.keyMerge = false;
        parent.keyValue = value;
      } else {
        const object = parent.value as Record<string, unknown>;
        const key = parent.key;
        if (
          parent.keyMerge ||
          parent.keyId !== undefined ||
          parent.dict ||
          parent.setValues ||
          key === '__proto__' ||
          Object.hasOwn(object, key)
        )
          return false;
        parent.hasKey = false;
        if (parent.pairs === 0) parent.firstKey = parent.keyValue;
        parent.pairs++;
        object[key] = value;
        addKey(parent.positions as MapPositions, key, parent.keyOffset, offset, undefined);
      }
    } else {
      if (parent.tag !== 'seq') return false;
      (parent.value as unknown[]).push(value);
      parent.allMaps = false;
      const positions = parent.positions as SeqPositions;
      positions.offsets.push(offset);
      positions.children.push(undefined);
    }
    parent.weight++;
    this.lastEnd = plain ? end : end + 1;
    return true;
  }

  private explicitTag(raw: string, offset: number): CoreTag | undefined {
    const full = this.fullTagName(raw);
    const tag = coreTag(full);
    if (tag === undefined) {
      this.problem(
        'yaml-unknown-tag',
        offset,
        `could not determine a constructor for the tag '${full}' (PyYAML's safe loader knows only the YAML 1.1 types)`,
        true,
      );
    }
    return tag;
  }

  private fullTagName(raw: string): string {
    if (raw.startsWith('!<') && raw.endsWith('>')) return decodeTag(raw.slice(2, -1));
    const second = raw.indexOf('!', 1);
    const handle = second === -1 ? '!' : raw.slice(0, second + 1);
    const prefix = this.tagHandles[handle] ?? (handle === '!!' ? YAML_TAG_PREFIX : handle);
    return prefix + decodeTag(raw.slice(handle.length));
  }

  private open(event: MappingEvent | SequenceEvent): void {
    const map = event.type === EVENT_ID.MAPPING;
    this.checkProperties(event.anchorEnd, event.tagStart, event.tagEnd);
    let tag: CoreTag = map ? 'map' : 'seq';
    if (event.tagStart !== -1) {
      const raw = this.text.slice(event.tagStart, event.tagEnd);
      if (raw !== '!') {
        const explicit = this.explicitTag(raw, event.tagStart);
        if (explicit !== undefined) {
          const fits = map
            ? explicit === 'map' || explicit === 'set'
            : explicit === 'seq' || explicit === 'omap' || explicit === 'pairs';
          if (fits) tag = explicit;
          else
            this.problem(
              'yaml-bad-value',
              event.tagStart,
              `the tag !!${explicit} cannot be given to a ${map ? 'mapping' : 'sequence'}`,
              true,
            );
        }
      }
    }
    this.lastEnd = event.style === COLLECTION_STYLE.FLOW ? event.start + 1 : event.start;
    const anchor = event.anchorStart === -1 ? undefined : this.anchorName(event.anchorStart, event.anchorEnd);
    if (anchor !== undefined) {
      // Registered now, like PyYAML's composer, so an alias inside the collection is recognised as recursive.
      this.anchors.set(anchor, {
        pending: true,
        value: undefined,
        keys: undefined,
        kind: map ? MAP : SEQ,
        weight: 0,
        allMaps: false,
        keyText: '',
        keyId: undefined,
        merge: false,
      });
    }
    this.stack.push({
      map,
      tag,
      value: map ? {} : [],
      positions: map
        ? { kind: 'map', keys: [], offsets: [], children: [] }
        : { kind: 'seq', offsets: [], children: [] },
      offset: event.start,
      anchor,
      weight: 1,
      allMaps: tag === 'seq',
      hasKey: false,
      key: '',
      keyId: undefined,
      keyOffset: 0,
      keyMerge: false,
      keyValue: undefined,
      dict: undefined,
      owners: undefined,
      merges: undefined,
      setValues: tag === 'set' ? new Map() : undefined,
      firstKey: undefined,
      pairs: 0,
    });
  }

  private close(): void {
    const frame = this.stack.pop()!;
    if (frame.map) {
      if (frame.merges) this.applyMerges(frame);
      if (frame.dict) this.materialize(frame);
    }
    const value: unknown = frame.setValues ? [...frame.setValues.values()] : frame.value;
    const keys = frame.map ? (frame.positions as MapPositions).keys : undefined;
    const done = this.done;
    done.value = value;
    done.keys = keys;
    done.kind = frame.map ? MAP : SEQ;
    done.offset = frame.offset;
    done.start = -1;
    done.positions = frame.positions;
    done.weight = frame.weight;
    done.allMaps = frame.allMaps;
    done.keyText = '';
    done.keyId = undefined;
    done.merge = false;
    done.firstKey = frame.firstKey;
    done.pairs = frame.pairs;
    if (frame.anchor !== undefined) {
      this.anchors.set(frame.anchor, {
        pending: false,
        value,
        keys,
        kind: done.kind,
        weight: frame.weight,
        allMaps: frame.allMaps,
        keyText: '',
        keyId: undefined,
        merge: false,
      });
    }
    this.deliver();
  }

  private alias(start: number, end: number): void {
    const name = this.anchorName(start, end);
    const offset = start - 1;
    this.lastEnd = end;
    this.checkProperties(end, -1, -1);
    const anchored = this.anchors.get(name);
    const done = this.done;
    done.offset = offset;
    done.start = offset;
    done.positions = undefined;
    done.firstKey = undefined;
    done.pairs = 0;
    if (!anchored || anchored.pending) {
      this.problem(
        'yaml-unresolvable',
        offset,
        anchored
          ? `alias *${name} refers to the collection that contains it (a recursive structure)`
          : `alias *${name} refers to an anchor &${name} that is not defined before it`,
        true,
      );
      Object.assign(done, {
        value: null,
        keys: undefined,
        kind: SCALAR,
        weight: 1,
        allMaps: false,
        keyText: 'null',
        keyId: '\u0000null',
        merge: false,
      });
    } else {
      this.aliasNodes += anchored.weight;
      if (this.aliasNodes > this.aliasAllowance) {
        this.problem(
          'yaml-unresolvable',
          offset,
          `aliases expand to more than ${this.aliasAllowance} nodes (an alias bomb?)`,
          true,
        );
        this.stopped = true;
        return;
      }
      Object.assign(done, {
        value: anchored.value,
        keys: anchored.keys,
        kind: anchored.kind,
        weight: anchored.weight,
        allMaps: anchored.allMaps,
        keyText: anchored.keyText,
        keyId: anchored.keyId,
        merge: anchored.merge,
      });
    }
    this.deliver();
  }

  /** Hands the finished node in this.done to the collection around it, or makes it the document's value. */
  private deliver(): void {
    const done = this.done;
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      this.value = done.value;
      this.rootOffset = done.offset === -1 ? 0 : done.offset;
      this.rootPositions = done.positions;
      return;
    }
    parent.weight += done.weight;
    if (parent.map) {
      if (!parent.hasKey) {
        parent.hasKey = true;
        if (done.start >= 0 && this.lastEnd - done.start > MAX_IMPLICIT_KEY) this.checkKeyLength(done.start);
        parent.keyOffset = done.offset === -1 ? this.nextTokenOffset() : done.offset;
        parent.keyMerge = done.merge;
        parent.keyValue = done.value;
        if (done.kind !== SCALAR) {
          this.problem(
            'yaml-unhashable-key',
            parent.keyOffset,
            'a list or mapping cannot be a mapping key (PyYAML: "found unhashable key")',
            true,
          );
          parent.key = '';
          parent.keyId = undefined;
        } else {
          parent.key = done.keyText;
          parent.keyId = done.keyId;
        }
        return;
      }
      parent.hasKey = false;
      const offset = done.offset === -1 ? parent.keyOffset : done.offset;
      if (parent.keyMerge) this.addMerge(parent, offset);
      else this.put(parent, offset);
      return;
    }
    const offset = done.offset === -1 ? this.nextTokenOffset() : done.offset;
    const items = parent.value as unknown[];
    if (parent.tag === 'omap' || parent.tag === 'pairs') {
      if (done.kind !== MAP || done.pairs !== 1 || Array.isArray(done.value)) {
        this.problem('yaml-bad-value', offset, `every item of a !!${parent.tag} must be a mapping with one key`, true);
        items.push(null);
      } else {
        // PyYAML gives the (key, value) tuple, with the key as built (1 stays a number).
        const only = done.value as Record<string, unknown>;
        items.push([done.firstKey, only[Object.keys(only)[0]!]]);
      }
    } else {
      items.push(done.value);
      if (done.kind !== MAP || Array.isArray(done.value)) parent.allMaps = false;
    }
    const positions = parent.positions as SeqPositions;
    positions.offsets.push(offset);
    positions.children.push(done.positions);
  }

  /** Adds a key and its value (in this.done) to a mapping; a repeated key keeps the last value, as in PyYAML. */
  private put(frame: Frame, valueOffset: number): void {
    const done = this.done;
    const key = frame.key;
    if (frame.pairs === 0) frame.firstKey = frame.keyValue;
    frame.pairs++;
    if (frame.dict === undefined && frame.keyId === undefined) {
      // Only string keys so far: the object is the dict.
      const object = frame.value as Record<string, unknown>;
      const positions = frame.positions as MapPositions;
      if (Object.hasOwn(object, key)) {
        const at = indexOfKey(positions, key);
        this.duplicate(frame, positions.offsets[2 * at]!);
        positions.offsets[2 * at] = frame.keyOffset;
        positions.offsets[2 * at + 1] = valueOffset;
        positions.children[at] = done.positions;
      } else {
        addKey(positions, key, frame.keyOffset, valueOffset, done.positions);
      }
      setProperty(object, key, done.value);
      if (frame.setValues && !frame.setValues.has(`s${key}`)) frame.setValues.set(`s${key}`, frame.keyValue);
      return;
    }
    const dict = frame.dict ?? this.toDict(frame);
    const owners = frame.owners!;
    const identity = frame.keyId ?? `s${key}`;
    const entry = dict.get(identity);
    if (entry) {
      this.duplicate(frame, entry.keyOffset);
      entry.value = done.value;
      entry.keyOffset = frame.keyOffset;
      entry.valueOffset = valueOffset;
      entry.child = done.positions;
    } else {
      const owner = owners.get(key);
      // Keys Python tells apart but that read the same as text (the string "1" and the integer 1); a !!set keeps both.
      if (owner !== undefined && !frame.setValues) this.duplicate(frame, dict.get(owner)!.keyOffset);
      owners.set(key, identity);
      dict.set(identity, { key, value: done.value, keyOffset: frame.keyOffset, valueOffset, child: done.positions });
    }
    if (frame.setValues && !frame.setValues.has(identity)) frame.setValues.set(identity, frame.keyValue);
  }

  private duplicate(frame: Frame, earlierOffset: number): void {
    this.problem(
      'yaml-duplicate-key',
      frame.keyOffset,
      `duplicate key ${JSON.stringify(frame.key)} (also at ${this.lineOf(earlierOffset)}): only the last value counts, as in PyYAML`,
      false,
    );
  }

  /** Switches a mapping built from string keys to the dict model. */
  private toDict(frame: Frame): Map<string, Entry> {
    const object = frame.value as Record<string, unknown>;
    const positions = frame.positions as MapPositions;
    const dict = new Map<string, Entry>();
    const owners = new Map<string, string>();
    positions.keys.forEach((key, at) => {
      dict.set(`s${key}`, {
        key,
        value: object[key],
        keyOffset: positions.offsets[2 * at]!,
        valueOffset: positions.offsets[2 * at + 1]!,
        child: positions.children[at],
      });
      owners.set(key, `s${key}`);
    });
    frame.dict = dict;
    frame.owners = owners;
    return dict;
  }

  /**
   * Turns the dict into the object: entries in dict order, each stored under its key text. When two keys Python
   * tells apart have the same text (the string "1" and the integer 1), the later one's value is kept, which is
   * what JSON.parse makes of PyYAML's json.dumps.
   */
  private materialize(frame: Frame): void {
    const object: Record<string, unknown> = {};
    const positions: MapPositions = { kind: 'map', keys: [], offsets: [], children: [] };
    for (const entry of frame.dict!.values()) {
      if (Object.hasOwn(object, entry.key)) {
        const at = indexOfKey(positions, entry.key);
        positions.offsets[2 * at] = entry.keyOffset;
        positions.offsets[2 * at + 1] = entry.valueOffset;
        positions.children[at] = entry.child;
      } else {
        addKey(positions, entry.key, entry.keyOffset, entry.valueOffset, entry.child);
      }
      setProperty(object, entry.key, entry.value);
    }
    frame.value = object;
    frame.positions = positions;
    this.dicts.set(object, frame.dict!);
  }

  private addMerge(frame: Frame, offset: number): void {
    const done = this.done;
    const sources: MergeSource[] = [];
    if (done.kind === MAP && !Array.isArray(done.value)) {
      const positions = done.positions as MapPositions | undefined;
      sources.push({
        value: done.value as Record<string, unknown>,
        keys: done.keys ?? Object.keys(done.value as object),
        positions,
        keyOffset: frame.keyOffset,
        offset,
      });
    } else if (done.kind === SEQ && done.allMaps) {
      // PyYAML merges the mappings of a list so that earlier ones win: it applies them last to first.
      const items = done.value as Record<string, unknown>[];
      const positions = done.positions as SeqPositions | undefined;
      for (let i = items.length - 1; i >= 0; i--) {
        const item = positions?.children[i] as MapPositions | undefined;
        sources.push({
          value: items[i]!,
          keys: item?.keys ?? Object.keys(items[i]!),
          positions: item,
          keyOffset: frame.keyOffset,
          offset: positions?.offsets[i] ?? offset,
        });
      }
    } else {
      this.problem(
        'yaml-unresolvable',
        offset,
        'a merge key (<<) needs a mapping, an alias of one, or a list of them',
        true,
      );
      return;
    }
    frame.merges ??= [];
    frame.merges.push(...sources);
  }

  /**
   * PyYAML puts the merged pairs before the mapping's own pairs and then assigns them in order: merged keys come
   * first, the mapping's own keys override them, and of several merged mappings the later-listed ones win.
   */
  private applyMerges(frame: Frame): void {
    const own = frame.dict ?? this.toDict(frame);
    const dict = new Map<string, Entry>();
    const owners = new Map<string, string>();
    const assign = (identity: string, entry: Entry) => {
      const existing = dict.get(identity);
      if (existing) {
        existing.value = entry.value;
        existing.keyOffset = entry.keyOffset;
        existing.valueOffset = entry.valueOffset;
        existing.child = entry.child;
      } else {
        dict.set(identity, { ...entry });
        owners.set(entry.key, identity);
      }
    };
    for (const source of frame.merges!) {
      const sourceDict = this.dicts.get(source.value);
      const inPlace = source.positions;
      if (sourceDict) {
        for (const [identity, entry] of sourceDict) {
          assign(
            identity,
            inPlace
              ? entry
              : {
                  key: entry.key,
                  value: entry.value,
                  keyOffset: source.keyOffset,
                  valueOffset: source.offset,
                  child: undefined,
                },
          );
        }
        continue;
      }
      for (const key of source.keys) {
        if (!Object.hasOwn(source.value, key)) continue;
        const at = inPlace ? indexOfKey(inPlace, key) : -1;
        assign(`s${key}`, {
          key,
          value: source.value[key],
          keyOffset: at >= 0 ? inPlace!.offsets[2 * at]! : source.keyOffset,
          valueOffset: at >= 0 ? inPlace!.offsets[2 * at + 1]! : source.offset,
          child: at >= 0 ? inPlace!.children[at] : undefined,
        });
      }
    }
    for (const [identity, entry] of own) assign(identity, entry);
    frame.dict = dict;
    frame.owners = owners;
  }

  /**
   * PyYAML's scanner wants a space or line end right after a tag (it reads `,` `]` `}` as part of the tag, so
   * `[a, !!str]` fails there), and one of a few separators after an anchor or alias name.
   */
  private checkProperties(anchorEnd: number, tagStart: number, tagEnd: number): void {
    const text = this.text;
    if (tagStart !== -1 && tagEnd < text.length && !' \r\n'.includes(text[tagEnd]!)) {
      this.problem(
        'yaml-bad-tag',
        tagStart,
        `the tag ${JSON.stringify(text.slice(tagStart, tagEnd))} must be followed by a space (PyYAML reads ${JSON.stringify(text[tagEnd])} as part of it)`,
        true,
      );
    }
    if (anchorEnd !== -1 && anchorEnd < text.length && !' \t\r\n?:,]}%@`'.includes(text[anchorEnd]!)) {
      this.problem(
        'yaml-bad-anchor',
        anchorEnd,
        `an anchor or alias name must be followed by a space, not ${JSON.stringify(text[anchorEnd])} (PyYAML)`,
        true,
      );
    }
  }

  private anchorName(start: number, end: number): string {
    const name = this.text.slice(start, end);
    // PyYAML's scanner accepts only these characters in anchor and alias names.
    if (!/^[0-9A-Za-z_-]+$/.test(name)) {
      this.problem(
        'yaml-bad-anchor',
        start - 1,
        `anchor or alias name ${JSON.stringify(name)} has characters PyYAML does not accept (only letters, digits, "-" and "_")`,
        true,
      );
    } else if (this.anchors.has(name) && this.text.charCodeAt(start - 1) === 0x26) {
      this.problem(
        'yaml-duplicate-anchor',
        start - 1,
        `anchor &${name} is defined twice (PyYAML: "found duplicate anchor")`,
        true,
      );
    }
    return name;
  }

  private checkKeyLength(start: number): void {
    const text = this.text;
    let colon = this.lastEnd;
    while (text[colon] === ' ') colon++;
    if (colon - start <= MAX_IMPLICIT_KEY) return;
    let before = start - 1;
    while (before >= 0 && (text[before] === ' ' || text[before] === '\t')) before--;
    if (text[before] === '?') return;
    this.problem(
      'yaml-key-too-long',
      start,
      `a key longer than ${MAX_IMPLICIT_KEY} characters must be written as an explicit "? key" (PyYAML: "mapping values are not allowed here")`,
      true,
    );
  }

  /** Offset of the first token after the last one consumed: where an empty node (a bare "-", "?") sits. */
  private nextTokenOffset(from = this.lastEnd): number {
    const text = this.text;
    let at = from;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x5d || c === 0x7d || c === 0x2c) at++;
      else if (c === 0x23) {
        // A comment runs to the line break: LF, or a lone CR in a CR-only file.
        while (at < text.length && text.charCodeAt(at) !== 0x0a && text.charCodeAt(at) !== 0x0d) at++;
      } else return at;
    }
    return from;
  }

  /** Where the second document starts, past the first one's end marker ("..."), for the multiple-docs finding. */
  private nextDocumentOffset(): number {
    let at = this.nextTokenOffset();
    while (/^\.\.\.(?:[ \t\r\n]|$)/.test(this.text.slice(at, at + 4))) at = this.nextTokenOffset(at + 3);
    return at;
  }

  private lineOf(offset: number): string {
    // Line breaks as YAML counts them: LF, CRLF, a lone CR.
    const breaks = this.text.slice(0, offset).match(/\r\n?|\n/g);
    return `line ${(breaks?.length ?? 0) + 1}`;
  }

  private problem(code: string, offset: number, message: string, fatal: boolean): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ code, offset, message, fatal });
  }

  /**
   * PyYAML allows a tab only inside a quoted scalar, inside a block scalar's text and in a comment; anywhere else
   * (indentation, after "key:", before a comment, inside a plain value) its scanner stops with "found character
   * '\t' that cannot start any token". js-yaml follows YAML 1.2, which allows tabs as separators, so the rule is
   * checked here.
   */
  private checkTabs(): void {
    const text = this.text;
    const ranges = this.literalRanges!;
    for (let tab = text.indexOf('\t'); tab !== -1; tab = text.indexOf('\t', tab + 1)) {
      if (inRanges(ranges, tab)) continue;
      const lineStart = text.lastIndexOf('\n', tab - 1) + 1;
      let comment = false;
      for (let hash = text.indexOf('#', lineStart); hash !== -1 && hash < tab; hash = text.indexOf('#', hash + 1)) {
        const before = text.charCodeAt(hash - 1);
        if ((hash === lineStart || before === 0x20 || before === 0x09) && !inRanges(ranges, hash)) {
          comment = true;
          break;
        }
      }
      if (comment) continue;
      const indentation =
        text.slice(lineStart, tab).trim() === '' || /^[ \t]*(?:- +)*$/.test(text.slice(lineStart, tab));
      this.problem(
        indentation ? 'yaml-tab-as-indent' : 'yaml-tab',
        tab,
        indentation
          ? 'a tab is used for indentation'
          : 'a tab separates tokens here; PyYAML accepts tabs only inside quoted strings, block scalars and comments',
        true,
      );
      return;
    }
  }
}

/** The smaller of two offsets, -1 meaning absent. */
function earliest(a: number, b: number): number {
  if (a === -1) return b;
  if (b === -1) return a;
  return Math.min(a, b);
}

function inRanges(ranges: number[], offset: number): boolean {
  let low = 0;
  let high = ranges.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (offset < ranges[2 * middle]!) high = middle - 1;
    else if (offset >= ranges[2 * middle + 1]!) low = middle + 1;
    else return true;
  }
  return false;
}

/** The `|` or `>` of a block scalar whose text starts at `start` (the line after its header). */
function blockHeaderOffset(text: string, start: number): number {
  let end = start;
  if (text.charCodeAt(end - 1) === 0x0a) end--;
  if (text.charCodeAt(end - 1) === 0x0d) end--;
  const lineStart = text.lastIndexOf('\n', end - 1) + 1;
  const line = text.slice(lineStart, end);
  // The indicator is the first | or > followed only by indentation/chomping indicators and an optional comment.
  for (let at = 0; at < line.length; at++) {
    const c = line[at];
    if ((c === '|' || c === '>') && /^[|>][0-9+-]*(?:[ \t]+#.*|[ \t]*)$/.test(line.slice(at))) return lineStart + at;
  }
  const fallback = Math.max(text.lastIndexOf('|', start), text.lastIndexOf('>', start));
  return fallback === -1 ? start : fallback;
}

function decodeTag(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function addKey(
  positions: MapPositions,
  key: string,
  keyOffset: number,
  valueOffset: number,
  child: Positions | undefined,
): void {
  positions.index?.set(key, positions.keys.length);
  positions.keys.push(key);
  positions.offsets.push(keyOffset, valueOffset);
  positions.children.push(child);
}

/** Index of `key` in a mapping's positions, or -1. Large mappings get a lookup table the first time. */
export function indexOfKey(positions: MapPositions, key: string): number {
  if (positions.index) return positions.index.get(key) ?? -1;
  if (positions.keys.length <= 16) return positions.keys.lastIndexOf(key);
  positions.index = new Map();
  positions.keys.forEach((name, at) => positions.index!.set(name, at));
  return positions.index.get(key) ?? -1;
}

function setProperty(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
