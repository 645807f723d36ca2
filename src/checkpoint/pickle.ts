// A restricted reader for Python's pickle format (protocols 0-5 as torch.save writes them).
// The stack machine only moves data. Every opcode that would import, call or construct
// something in Python (GLOBAL, REDUCE, NEWOBJ, BUILD, persistent ids) is handed to an
// UnpicklePolicy, which decides from an allowlist what inert value to put on the stack.
// Opcode semantics follow CPython's Lib/pickle.py and Lib/pickletools.py.

import { CheckpointError } from './errors';
import { ObjectStub, describeValue, type PickleDict, type PickleValue } from './pickleValues';

export interface UnpicklePolicy {
  /** GLOBAL / STACK_GLOBAL: return an inert value for module.name, or throw to reject it. */
  findGlobal(module: string, name: string): PickleValue;
  /** REDUCE, INST and OBJ, which call `callable(*args)` in Python. */
  call(callable: PickleValue, args: readonly PickleValue[]): PickleValue;
  /** NEWOBJ and NEWOBJ_EX, which run `cls.__new__(cls, *args, **kwargs)` in Python. */
  construct(cls: PickleValue, args: readonly PickleValue[], kwargs: PickleDict | null): PickleValue;
  /** BUILD, which runs `__setstate__` or updates `__dict__` in Python. */
  build(target: PickleValue, state: PickleValue): void;
  /** PERSID / BINPERSID: objects stored outside the pickle (torch storages). */
  persistentLoad(pid: PickleValue): PickleValue;
}

export interface UnpickleResult {
  value: PickleValue;
  /** Offset just past the STOP opcode, where a following pickle would start. */
  end: number;
}

const HIGHEST_PROTOCOL = 5;

const utf8 = new TextDecoder('utf-8');

/**
 * Decode ISO-8859-1, where byte n is code point n. TextDecoder('latin1') cannot be used: the
 * Encoding Standard maps that label to windows-1252, which differs in bytes 0x80-0x9f.
 */
function decodeLatin1(bytes: Uint8Array): string {
  let text = '';
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function toIntValue(value: bigint): number | bigint {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
}

/** Two's-complement little-endian integer of LONG1 / LONG4. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return toIntValue(value);
}

/** Python's raw-unicode-escape codec: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function decodeRawUnicodeEscape(bytes: Uint8Array): string {
  return decodeLatin1(bytes).replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_match, short: string | undefined, long: string | undefined) => String.fromCodePoint(parseInt(short ?? long!, 16)));
}

function freezeTuple(items: PickleValue[]): readonly PickleValue[] {
  return Object.freeze(items);
}

class Unpickler {
  private position: number;
  private readonly view: DataView;
  private stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly policy: UnpicklePolicy,
    private readonly source: string,
  ) {
    this.position = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string, offset = this.position): never {
    throw new CheckpointError('invalid-pickle', `${this.source}: invalid pickle at byte ${offset}: ${message}. `
      + 'The file is corrupt or was not written by torch.save; save it again with torch.save.');
  }

  private need(count: number): number {
    if (count < 0 || this.position + count > this.bytes.length) {
      this.fail(`${count} more bytes are needed but the data ends at byte ${this.bytes.length}`);
    }
    const start = this.position;
    this.position += count;
    return start;
  }

  private readBytes(count: number): Uint8Array {
    const start = this.need(count);
    return this.bytes.subarray(start, start + count);
  }

  private readUint8(): number {
    return this.bytes[this.need(1)];
  }

  private readUint16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  private readInt32(): number {
    return this.view.getInt32(this.need(4), true);
  }

  private readUint32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  private readUint64(): number {
    const value = this.view.getBigUint64(this.need(8), true);
    if (value > MAX_SAFE) this.fail(`length ${value} is too large`);
    return Number(value);
  }

  /** Read a protocol-0 text argument: the bytes up to the next newline. */
  private readLine(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.fail('a text argument has no terminating newline');
    const line = this.bytes.subarray(this.position, end);
    this.position = end + 1;
    return line;
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) this.fail('the stack is empty');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    if (this.stack.length === 0) this.fail('the stack is empty');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('no MARK precedes an opcode that needs one');
    return this.stack.splice(mark);
  }

  private memoGet(index: number): void {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is read before it is written`);
    this.push(this.memo.get(index)!);
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  private appendItems(target: PickleValue, items: PickleValue[]): void {
    if (target instanceof ObjectStub) {
      target.listItems.push(...items);
    } else if (Array.isArray(target) && !Object.isFrozen(target)) {
      (target as PickleValue[]).push(...items);
    } else {
      this.fail(`APPEND to a ${describeValue(target)}, which is not a list`);
    }
  }

  private setItems(target: PickleValue, items: PickleValue[]): void {
    if (items.length % 2 !== 0) this.fail('SETITEMS has an odd number of items');
    const dict = target instanceof ObjectStub ? target.dictItems : target;
    if (!(dict instanceof Map)) this.fail(`SETITEM on a ${describeValue(target)}, which is not a dict`);
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  }

  private addItems(target: PickleValue, items: PickleValue[]): void {
    if (!(target instanceof Set)) this.fail(`ADDITEMS on a ${describeValue(target)}, which is not a set`);
    for (const item of items) target.add(item);
  }

  private dictFromItems(items: PickleValue[]): PickleDict {
    const dict: PickleDict = new Map();
    this.setItems(dict, items);
    return dict;
  }

  private readGlobalLine(): PickleValue {
    const module = utf8.decode(this.readLine());
    const name = utf8.decode(this.readLine());
    return this.policy.findGlobal(module, name);
  }

  private stackGlobal(): PickleValue {
    const name = this.pop();
    const module = this.pop();
    if (typeof module !== 'string' || typeof name !== 'string') {
      this.fail('STACK_GLOBAL needs two strings');
    }
    return this.policy.findGlobal(module, name);
  }

  private reduce(): void {
    const args = this.pop();
    const callable = this.pop();
    if (!Array.isArray(args)) this.fail(`REDUCE arguments are a ${describeValue(args)}, not a tuple`);
    this.push(this.policy.call(callable, args));
  }

  private newObject(withKeywords: boolean): void {
    const kwargs = withKeywords ? this.pop() : null;
    const args = this.pop();
    const cls = this.pop();
    if (!Array.isArray(args)) this.fail(`NEWOBJ arguments are a ${describeValue(args)}, not a tuple`);
    if (kwargs !== null && !(kwargs instanceof Map)) this.fail('NEWOBJ_EX keyword arguments are not a dict');
    this.push(this.policy.construct(cls, args, kwargs));
  }

  /** INST (protocol 0) and OBJ (protocol 1) call a class with the items above MARK. */
  private instantiate(opcode: number): void {
    if (opcode === 0x69) {
      const cls = this.readGlobalLine();
      this.push(this.policy.call(cls, this.popMark()));
      return;
    }
    const [cls, ...args] = this.popMark();
    if (cls === undefined) this.fail('OBJ has no class');
    this.push(this.policy.call(cls, args));
  }

  private readText(opcode: number): PickleValue {
    const line = decodeLatin1(this.readLine());
    if (opcode === 0x49 && (line === '00' || line === '01')) return line === '01';
    if (opcode === 0x46) {
      // Python writes repr(float), which spells the special values inf, -inf and nan.
      const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
      const value = Object.hasOwn(special, line) ? special[line] : Number(line);
      if (Number.isNaN(value) && line !== 'nan') this.fail(`FLOAT "${line}" is not a number`);
      return value;
    }
    const digits = line.endsWith('L') ? line.slice(0, -1) : line;
    if (!/^[-+]?\d+$/.test(digits)) this.fail(`INT or LONG "${line}" is not an integer`);
    return toIntValue(BigInt(digits));
  }

  private readMemoIndexLine(): number {
    const line = decodeLatin1(this.readLine());
    if (!/^\d+$/.test(line)) this.fail(`memo index "${line}" is not a decimal number`);
    return Number(line);
  }

  /** Run opcodes until STOP and return the value on top of the stack. */
  run(): UnpickleResult {
    for (;;) {
      const offset = this.position;
      const opcode = this.readUint8();
      if (opcode === 0x2e) {
        return { value: this.pop(), end: this.position };
      }
      this.step(opcode, offset);
    }
  }

  private step(opcode: number, offset: number): void {
    switch (opcode) {
      // Framing and protocol.
      case 0x80: {
        const protocol = this.readUint8();
        if (protocol > HIGHEST_PROTOCOL) this.fail(`pickle protocol ${protocol} is newer than ${HIGHEST_PROTOCOL}`, offset);
        return;
      }
      case 0x95: this.readUint64(); return;

      // Stack and marks.
      case 0x28: this.marks.push(this.stack.length); return;
      case 0x30: this.pop(); return;
      case 0x31: this.popMark(); return;
      case 0x32: this.push(this.top()); return;

      // Constants and numbers.
      case 0x4e: this.push(null); return;
      case 0x88: this.push(true); return;
      case 0x89: this.push(false); return;
      case 0x4a: this.push(this.readInt32()); return;
      case 0x4b: this.push(this.readUint8()); return;
      case 0x4d: this.push(this.readUint16()); return;
      case 0x8a: this.push(decodeLong(this.readBytes(this.readUint8()))); return;
      case 0x8b: {
        const length = this.readInt32();
        if (length < 0) this.fail(`LONG4 has a negative length ${length}`, offset);
        this.push(decodeLong(this.readBytes(length)));
        return;
      }
      case 0x47: this.push(this.view.getFloat64(this.need(8), false)); return;
      case 0x49: case 0x4c: case 0x46: this.push(this.readText(opcode)); return;

      // Strings and bytes.
      case 0x58: this.push(utf8.decode(this.readBytes(this.readUint32()))); return;
      case 0x8c: this.push(utf8.decode(this.readBytes(this.readUint8()))); return;
      case 0x8d: this.push(utf8.decode(this.readBytes(this.readUint64()))); return;
      case 0x56: this.push(decodeRawUnicodeEscape(this.readLine())); return;
      // Python 2 str objects; CPython decodes them as ASCII by default, latin-1 is a superset.
      case 0x54: this.push(decodeLatin1(this.readBytes(this.readInt32()))); return;
      case 0x55: this.push(decodeLatin1(this.readBytes(this.readUint8()))); return;
      case 0x42: this.push(this.readBytes(this.readUint32()).slice()); return;
      case 0x43: this.push(this.readBytes(this.readUint8()).slice()); return;
      case 0x8e: case 0x96: this.push(this.readBytes(this.readUint64()).slice()); return;

      // Containers.
      case 0x7d: this.push(new Map()); return;
      case 0x5d: this.push([]); return;
      case 0x29: this.push(freezeTuple([])); return;
      case 0x8f: this.push(new Set()); return;
      case 0x64: this.push(this.dictFromItems(this.popMark())); return;
      case 0x6c: this.push(this.popMark()); return;
      case 0x74: this.push(freezeTuple(this.popMark())); return;
      case 0x91: this.push(new Set(this.popMark())); return;
      case 0x85: this.push(freezeTuple([this.pop()])); return;
      case 0x86: { const b = this.pop(); const a = this.pop(); this.push(freezeTuple([a, b])); return; }
      case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(freezeTuple([a, b, c])); return; }
      case 0x61: { const item = this.pop(); this.appendItems(this.top(), [item]); return; }
      case 0x65: { const items = this.popMark(); this.appendItems(this.top(), items); return; }
      case 0x73: { const value = this.pop(); const key = this.pop(); this.setItems(this.top(), [key, value]); return; }
      case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); return; }
      case 0x90: { const items = this.popMark(); this.addItems(this.top(), items); return; }

      // Memo.
      case 0x68: this.memoGet(this.readUint8()); return;
      case 0x6a: this.memoGet(this.readUint32()); return;
      case 0x67: this.memoGet(this.readMemoIndexLine()); return;
      case 0x71: this.memoPut(this.readUint8()); return;
      case 0x72: this.memoPut(this.readUint32()); return;
      case 0x70: this.memoPut(this.readMemoIndexLine()); return;
      case 0x94: this.memoPut(this.memo.size); return;

      // Globals, calls and object construction: decided by the policy.
      case 0x63: this.push(this.readGlobalLine()); return;
      case 0x93: this.push(this.stackGlobal()); return;
      case 0x52: this.reduce(); return;
      case 0x81: this.newObject(false); return;
      case 0x92: this.newObject(true); return;
      case 0x69: case 0x6f: this.instantiate(opcode); return;
      case 0x62: { const state = this.pop(); this.policy.build(this.top(), state); return; }
      case 0x51: this.push(this.policy.persistentLoad(this.pop())); return;

      // PERSID takes a text id; torch.save only writes BINPERSID.
      case 0x50: this.fail('PERSID (a text persistent id) is not supported; torch.save writes BINPERSID', offset);
      // EXT1/2/4 name globals through copyreg's extension registry, which has no fixed contents.
      case 0x82: case 0x83: case 0x84:
        this.fail('extension-registry opcodes (EXT1, EXT2, EXT4) are not supported', offset);
      case 0x97: case 0x98:
        this.fail('out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported', offset);
      case 0x53:
        this.fail('STRING (a protocol-0 quoted string) is not supported', offset);
      default:
        this.fail(`unknown opcode 0x${opcode.toString(16).padStart(2, '0')}`, offset);
    }
  }
}

/**
 * Read one pickle from `bytes` starting at `start`. `source` names the data in errors.
 * Nothing is imported or executed: the policy maps globals to inert values or rejects them.
 */
export function unpickle(bytes: Uint8Array, policy: UnpicklePolicy, source: string, start = 0): UnpickleResult {
  return new Unpickler(bytes, start, policy, source).run();
}
