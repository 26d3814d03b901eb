/**
 * The part of `bun:test` the core's unit tests use, on `Deno.test`, so that
 * `deno test --import-map=test/deno/import-map.json test/core` runs them unchanged (deno.json task
 * `test:deno`). Tests become flat `Deno.test`s named "describe > test"; timeouts are ignored (Deno
 * has none); matchers follow Bun's meaning: `toEqual` ignores properties that are undefined.
 * Anything not here fails loudly ("not in the Deno shim") rather than passing by accident.
 */
const prefix: string[] = [];

type Fn = () => unknown;

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}

function register(name: string, fn: Fn): void {
  Deno.test({
    name: [...prefix, name].join(" > "),
    fn: async () => void await fn(),
    sanitizeOps: false,
    sanitizeResources: false,
    sanitizeExit: false,
  });
}

/** `%s %p %d %i %j %#` as Bun's `test.each` fills a name in. */
function title(template: string, args: unknown[], index: number): string {
  let next = 0;
  return template.replace(/%[spdij#%]/g, (spec) => {
    if (spec === "%%") return "%";
    if (spec === "%#") return String(index);
    const value = args[next++];
    return spec === "%s" || spec === "%d" || spec === "%i" ? String(value) : Deno.inspect(value);
  });
}

export const test = Object.assign(
  (name: string, fn: Fn, _timeout?: number) => register(name, fn),
  {
    each: (rows: readonly unknown[]) => (name: string, fn: (...args: never[]) => unknown) =>
      rows.forEach((row, i) => {
        const args = Array.isArray(row) ? row : [row];
        register(title(name, args, i), () => (fn as (...a: unknown[]) => unknown)(...args));
      }),
  },
);
export const it = test;

export function afterAll(fn: Fn, _timeout?: number): void {
  Deno.test.afterAll(async () => void await fn());
}

export function setDefaultTimeout(_ms: number): void {}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (a instanceof Map) {
    const other = b as Map<unknown, unknown>;
    return a.size === other.size &&
      [...a].every(([k, v]) => other.has(k) && equal(v, other.get(k)));
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    return a.size === other.size && [...a].every((v) => other.has(v));
  }
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equal(x[i], y[i])) return false;
    return true;
  }
  const defined = (o: object) =>
    Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined).sort();
  const keys = defined(a);
  const otherKeys = defined(b);
  return keys.length === otherKeys.length && keys.every((k, i) =>
    k === otherKeys[i] &&
    equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

function thrown(fn: unknown): { error: unknown } | null {
  try {
    (fn as () => unknown)();
    return null;
  } catch (error) {
    return { error };
  }
}

function matches(error: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof expected === "string") return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === "function") return error instanceof expected;
  return equal(error, expected);
}

type Check = (actual: unknown, ...expected: never[]) => boolean;

const checks: Record<string, Check> = {
  toBe: (a, b: unknown) => Object.is(a, b),
  toEqual: (a, b: unknown) => equal(a, b),
  toStrictEqual: (a, b: unknown) => equal(a, b),
  toContain: (a, b: unknown) =>
    typeof a === "string" ? a.includes(b as string) : [...(a as Iterable<unknown>)].includes(b),
  toMatch: (a, b: RegExp | string) =>
    typeof b === "string" ? String(a).includes(b) : b.test(String(a)),
  toHaveLength: (a, n: number) => (a as { length: number }).length === n,
  toBeLessThan: (a, n: number) => (a as number) < n,
  toBeLessThanOrEqual: (a, n: number) => (a as number) <= n,
  toBeGreaterThan: (a, n: number) => (a as number) > n,
  toBeGreaterThanOrEqual: (a, n: number) => (a as number) >= n,
  toBeTrue: (a) => a === true,
  toBeFalse: (a) => a === false,
  toBeNull: (a) => a === null,
  toBeUndefined: (a) => a === undefined,
  toBeDefined: (a) => a !== undefined,
  toBeTruthy: (a) => !!a,
  toBeFalsy: (a) => !a,
  toThrow: (fn, expected: unknown) => {
    const result = thrown(fn);
    return result !== null && matches(result.error, expected);
  },
};

function matchers(actual: unknown, negated: boolean): unknown {
  return new Proxy({}, {
    get(_, name: string) {
      if (name === "not" && !negated) return matchers(actual, true);
      const check = checks[name];
      if (!check) {
        throw new Error(`expect().${name} is not in the Deno shim (test/deno/bun-test.ts)`);
      }
      return (...expected: unknown[]) => {
        if ((check as (a: unknown, ...e: unknown[]) => boolean)(actual, ...expected) === negated) {
          const shown = expected.map((e) => Deno.inspect(e)).join(", ");
          throw new Error(
            `expect(${Deno.inspect(actual)}).${negated ? "not." : ""}${name}(${shown}) failed`,
          );
        }
      };
    },
  });
}

type Matchers = Record<string, (...expected: unknown[]) => void>;

export function expect(actual: unknown): Matchers & { not: Matchers } {
  return matchers(actual, false) as Matchers & { not: Matchers };
}
