import { describe, expect, it } from 'vitest';
import { PickleError } from './errors.js';
import { PyTuple, StorageRef, TensorRecord, unpickle } from './pickle.js';

const hex = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

/** Internal values → plain JS for comparison (dicts as [key, value] lists to keep order and key types). */
function plain(v: unknown): unknown {
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  return v;
}

// pickle.dumps(v, protocol=p) for
// v = {'a': [1, -2, 2**70, -2**70, 2.5, 'héllo ☃', None, True, False, b'\x00\xff', 65535, 70000, -129],
//      'b': (1, (2, 3), ()), 'c': {1: 'one'}, 'd': float('inf')}
const PICKLES: Record<number, string> = {
  0: '286470300a56610a70310a286c70320a49310a61492d320a614c313138303539313632303731373431313330333432344c0a614c2d313138303539313632303731373431313330333432344c0a6146322e350a615668e96c6c6f205c75323630330a70330a614e614930310a614930300a61635f636f646563730a656e636f64650a70340a28565c7530303030ff0a70350a566c6174696e310a70360a7470370a5270380a614936353533350a614937303030300a61492d3132390a617356620a70390a2849310a2849320a49330a747031300a2874747031310a7356630a7031320a28647031330a49310a566f6e650a7031340a737356640a7031350a46696e660a732e',
  1: '7d71002858010000006171015d7102284b014afeffffff4c313138303539313632303731373431313330333432344c0a4c2d313138303539313632303731373431313330333432344c0a474004000000000000580a00000068c3a96c6c6f20e2988371034e4930310a4930300a635f636f646563730a656e636f64650a710428580300000000c3bf710558060000006c6174696e3171067471075271084dffff4a701101004a7fffffff655801000000627109284b01284b024b0374710a2974710b580100000063710c7d710d4b0158030000006f6e65710e73580100000064710f477ff0000000000000752e',
  2: '80027d71002858010000006171015d7102284b014afeffffff8a090000000000000000408a090000000000000000c0474004000000000000580a00000068c3a96c6c6f20e2988371034e8889635f636f646563730a656e636f64650a7104580300000000c3bf710558060000006c6174696e3171068671075271084dffff4a701101004a7fffffff6558010000006271094b014b024b0386710a2987710b580100000063710c7d710d4b0158030000006f6e65710e73580100000064710f477ff0000000000000752e',
  3: '80037d71002858010000006171015d7102284b014afeffffff8a090000000000000000408a090000000000000000c0474004000000000000580a00000068c3a96c6c6f20e2988371034e8889430200ff71044dffff4a701101004a7fffffff6558010000006271054b014b024b038671062987710758010000006371087d71094b0158030000006f6e65710a73580100000064710b477ff0000000000000752e',
  4: '80049580000000000000007d94288c0161945d94284b014afeffffff8a090000000000000000408a090000000000000000c04740040000000000008c0a68c3a96c6c6f20e29883944e8889430200ff944dffff4a701101004a7fffffff658c0162944b014b024b0386942987948c0163947d944b018c036f6e6594738c016494477ff0000000000000752e',
  5: '80059580000000000000007d94288c0161945d94284b014afeffffff8a090000000000000000408a090000000000000000c04740040000000000008c0a68c3a96c6c6f20e29883944e8889430200ff944dffff4a701101004a7fffffff658c0162944b014b024b0386942987948c0163947d944b018c036f6e6594738c016494477ff0000000000000752e',
};

const EXPECTED = {
  dict: [
    ['a', [1, -2, 2n ** 70n, -(2n ** 70n), 2.5, 'héllo ☃', null, true, false, { bytes: [0, 255] }, 65535, 70000, -129]],
    ['b', { tuple: [1, { tuple: [2, 3] }, { tuple: [] }] }],
    ['c', { dict: [[1, 'one']] }],
    ['d', Infinity],
  ],
};

describe('unpickle: plain data', () => {
  for (const [protocol, h] of Object.entries(PICKLES)) {
    it(`reads Python's protocol ${protocol} pickle of nested plain data`, () => {
      expect(plain(unpickle(hex(h)))).toEqual(EXPECTED);
    });
  }

  it('keeps shared references from the memo', () => {
    // x = [1]; pickle.dumps([x, x], 2)
    const v = unpickle(hex('80025d7100285d71014b01616801652e')) as unknown[][];
    expect(v[0]).toBe(v[1]);
  });

  it('builds an OrderedDict in insertion order', () => {
    const v = unpickle(bytes([0x80, 2], 'ccollections\nOrderedDict\n', [0x29, 0x52, 0x28], 'X', [1, 0, 0, 0], 'z', [0x4b, 1], 'X', [1, 0, 0, 0], 'a', [0x4b, 2, 0x75, 0x2e]));
    expect(plain(v)).toEqual({ dict: [['z', 1], ['a', 2]] });
  });

  it('builds tensors from _rebuild_tensor_v2 and _rebuild_parameter with a persistent storage', () => {
    const pid = (): unknown => new StorageRef('0', 'F32', 'cpu', 6);
    const pkl = bytes(
      [0x80, 2],
      'ctorch._utils\n_rebuild_parameter\n',
      'ctorch._utils\n_rebuild_tensor_v2\n',
      [0x28, 0x28],
      'X',
      [7, 0, 0, 0],
      'storage',
      'ctorch\nFloatStorage\n',
      'X',
      [1, 0, 0, 0],
      '0',
      'X',
      [3, 0, 0, 0],
      'cpu',
      [0x4b, 6, 0x74, 0x51], // TUPLE, BINPERSID
      [0x4b, 1], // offset
      [0x4b, 2, 0x4b, 2, 0x86], // size
      [0x4b, 1, 0x4b, 2, 0x86], // stride
      [0x89], // requires_grad
      'ccollections\nOrderedDict\n',
      [0x29, 0x52, 0x74, 0x52], // hooks, TUPLE, REDUCE
      [0x88, 0x7d, 0x87, 0x52, 0x2e], // (tensor, True, {}) REDUCE STOP
    );
    const t = unpickle(pkl, { persistentLoad: pid }) as TensorRecord;
    expect(t).toBeInstanceOf(TensorRecord);
    expect(t).toMatchObject({ offset: 1, size: [2, 2], stride: [1, 2], requiresGrad: true, isParameter: true });
  });
});

describe('unpickle: refuses globals outside the allow-list', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['GLOBAL os.system + REDUCE', bytes([0x80, 2], 'cos\nsystem\n', 'X', [2, 0, 0, 0], 'id', [0x85, 0x52, 0x2e]), /^Unsupported global: GLOBAL os\.system was not an allowed global/],
    ['GLOBAL posix.system', bytes('cposix\nsystem\n(S\'echo hi\'\ntR.'), /Unsupported global: GLOBAL posix\.system/],
    ['STACK_GLOBAL builtins.eval', bytes([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93, 0x2e]), /Unsupported global: STACK_GLOBAL builtins\.eval/],
    ['a Python 2 __builtin__.eval', bytes('c__builtin__\neval\n.'), /Unsupported global: GLOBAL builtins\.eval/],
    ['INST subprocess.Popen', bytes('(S\'ls\'\nisubprocess\nPopen\n.'), /Unsupported global: INST subprocess\.Popen/],
    ['torch functions beyond the rebuild helpers', bytes('ctorch\nload\n.'), /Unsupported global: GLOBAL torch\.load/],
    ['torch._utils helpers beyond the rebuild helpers', bytes('ctorch._utils\n_rebuild_qtensor\n.'), /Unsupported global: GLOBAL torch\._utils\._rebuild_qtensor/],
    ['NEWOBJ of an allowed non-class', bytes('ctorch._utils\n_rebuild_tensor_v2\n)\x81.'), /Unsupported global: NEWOBJ torch\._utils\._rebuild_tensor_v2/],
  ];
  for (const [what, pkl, message] of cases) {
    it(`refuses ${what}`, () => {
      const err = (() => {
        try {
          unpickle(pkl);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PickleError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('refuses a call on a storage class', () => {
    expect(() => unpickle(bytes('ctorch\nFloatStorage\n)R.'))).toThrow(/torch\.FloatStorage cannot be called/);
  });
});

describe('unpickle: malformed input raises PickleError', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['an empty input', new Uint8Array(0), /without a STOP/],
    ['no STOP', bytes([0x80, 2, 0x4b, 1]), /without a STOP/],
    ['an unknown opcode', bytes([0x80, 2, 0xff]), /unknown opcode 0xff at offset 2/],
    ['a stack underflow', bytes([0x80, 2, 0x86]), /stack underflow at TUPLE2/],
    ['STOP on an empty stack', bytes([0x2e]), /stack underflow at STOP/],
    ['a truncated string', bytes([0x80, 2, 0x58, 0xff, 0, 0, 0], 'abc'), /truncated: BINUNICODE needs 255 bytes/],
    ['a huge BINUNICODE8 length', bytes([0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0], 'x'), /truncated|absurdly large/],
    ['an absurd 64-bit length', bytes([0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /absurdly large/],
    ['a negative LONG4 length', bytes([0x8b, 0xff, 0xff, 0xff, 0xff]), /negative length/],
    ['a GET of an unknown memo key', bytes([0x68, 9, 0x2e]), /memo key 9 was never stored/],
    ['APPEND to a tuple', bytes([0x29, 0x4b, 1, 0x61, 0x2e]), /APPEND on a tuple/],
    ['SETITEM on a list', bytes([0x5d, 0x4b, 1, 0x4b, 2, 0x73, 0x2e]), /SETITEM on a list/],
    ['an unhashable key', bytes([0x7d, 0x5d, 0x4b, 2, 0x73, 0x2e]), /unhashable type 'list'/],
    ['SETITEMS with an odd count', bytes([0x7d, 0x28, 0x4b, 1, 0x75, 0x2e]), /odd number/],
    ['POP_MARK without MARK', bytes([0x31]), /without a MARK/],
    ['STOP inside a MARK', bytes([0x4b, 1, 0x28, 0x2e]), /stack underflow at STOP|unclosed MARK/],
    ['an unknown protocol', bytes([0x80, 9, 0x4e, 0x2e]), /unsupported pickle protocol 9/],
    ['a persistent id without a loader', bytes([0x4e, 0x51, 0x2e]), /persistent id/],
    ['REDUCE on a non-callable', bytes([0x4b, 1, 0x29, 0x52, 0x2e]), /REDUCE on a int, not a callable/],
    ['BUILD on a list', bytes([0x5d, 0x7d, 0x62, 0x2e]), /BUILD on a list/],
    ['EXT1', bytes([0x82, 1]), /extension registry/],
    ['a text INT that is not a number', bytes('Iabc\n.'), /bad integer literal/],
    ['invalid UTF-8', bytes([0x8c, 1, 0xff, 0x2e]), /not valid UTF-8/],
    ['a rebuild with a non-storage', bytes('ctorch._utils\n_rebuild_tensor_v2\n(K\x00K\x00)))\x89)tR.'), /storage must be a persistent storage/],
  ];
  for (const [what, pkl, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => unpickle(pkl)).toThrow(PickleError);
      expect(() => unpickle(pkl)).toThrow(message);
    });
  }

  it('survives random byte flips and truncations of a valid pickle with a clean result or a PickleError', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const h of Object.values(PICKLES)) {
      const good = hex(h);
      for (let trial = 0; trial < 400; trial++) {
        const bad = good.slice(0, trial % 3 === 0 ? rand(good.length) : good.length);
        for (let k = 0; k <= rand(3); k++) if (bad.length) bad[rand(bad.length)] = rand(256);
        try {
          unpickle(bad);
        } catch (e) {
          if (!(e instanceof PickleError)) throw new Error(`non-PickleError for ${Buffer.from(bad).toString('hex')}: ${String(e)}`, { cause: e });
        }
      }
    }
  });
});
