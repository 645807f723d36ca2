// The values a restricted unpickler produces. Python objects become plain data: no value
// here contains a function, so nothing read from a file can ever be called.

/** A reference to a Python global ("module.name") that was named but never imported or called. */
export class GlobalRef {
  constructor(readonly module: string, readonly name: string) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An inert placeholder for an instance of a class (an nn.Module, argparse.Namespace, a numpy
 * dtype, ...). It stores what the pickle records about the object and never runs its code.
 */
export class ObjectStub {
  /** The argument of BUILD: usually the instance __dict__, or a (dict, slots) pair. */
  state: PickleValue = null;
  /** Items of dict subclasses, added by SETITEM(S). */
  readonly dictItems: PickleDict = new Map();
  /** Items of list subclasses, added by APPEND(S). */
  readonly listItems: PickleValue[] = [];

  constructor(readonly className: string, readonly args: readonly PickleValue[]) {}
}

/** Values that a format layered on pickle adds (torch storages and tensors). */
export abstract class PickleExtension {
  abstract readonly kind: string;
}

export type PickleDict = Map<PickleValue, PickleValue>;

/** Python tuples and lists are both arrays; tuples are frozen. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | readonly PickleValue[]
  | PickleDict
  | Set<PickleValue>
  | GlobalRef
  | ObjectStub
  | PickleExtension;

export function isDict(value: PickleValue): value is PickleDict {
  return value instanceof Map;
}

/** Return the attribute dict of a stub: its BUILD state, or the dict half of a (dict, slots) state. */
export function stubAttributes(stub: ObjectStub): PickleDict | null {
  const { state } = stub;
  if (state instanceof Map) return state;
  if (Array.isArray(state) && state.length === 2) {
    const merged: PickleDict = new Map();
    for (const part of state) {
      if (part instanceof Map) for (const [key, value] of part) merged.set(key, value);
    }
    return merged;
  }
  return null;
}

/** Describe a value's type in Python terms, for error messages. */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'tuple' : 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof Set) return 'set';
  if (value instanceof GlobalRef) return value.qualifiedName;
  if (value instanceof ObjectStub) return value.className;
  return (value as PickleExtension).kind;
}
