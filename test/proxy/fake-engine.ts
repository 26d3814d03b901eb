/**
 * A small stand-in for the real engine, so the proxy is tested against the `Engine` interface
 * alone: raw values replaced by fixed surrogate-shaped tokens, a gate that looks for the raw
 * values, a streaming restorer that holds back a possibly split token.
 */
import type { Counts, Engine, Restorer, RestoreStats } from "../../src/core/types.ts";
import {
  SURROGATE_BODY_LENGTH,
  SURROGATE_LENGTH,
  SURROGATE_PATTERN,
  SURROGATE_PREFIX,
} from "../../src/core/surrogate.ts";

export interface FakeSecret {
  name: string;
  value: string;
}

export interface FakeEngine extends Engine {
  surrogate(name: string): string;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomSurrogate(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SURROGATE_BODY_LENGTH));
  return SURROGATE_PREFIX + [...bytes].map((b) => BASE62[b % 62]).join("");
}

/** A fake value per name, fresh for each test run (never a real credential). */
export function fakeSecrets(...names: string[]): FakeSecret[] {
  return names.map((name) => ({
    name,
    value: `fake-${name.toLowerCase()}-${crypto.randomUUID()}`,
  }));
}

/**
 * `missedByRedaction`: names whose value redaction leaves in place, so the gate catches them
 * (how the 400 refusal is driven).
 */
export function fakeEngine(secrets: FakeSecret[], missedByRedaction: string[] = []): FakeEngine {
  const table = secrets.map((s) => ({ ...s, token: randomSurrogate() }));
  const byToken = new Map(table.map((t) => [t.token, t.value]));
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();

  const redact = (input: string) => {
    const counts: Counts = {};
    let output = input;
    for (const t of table) {
      if (missedByRedaction.includes(t.name)) continue;
      const parts = output.split(t.value);
      if (parts.length > 1) {
        counts[t.name] = parts.length - 1;
        output = parts.join(t.token);
      }
    }
    return { output, counts };
  };
  const gate = (input: string) => table.filter((t) => input.includes(t.value)).map((t) => t.name);
  const restore = (input: string, stats: RestoreStats) =>
    input.replace(SURROGATE_PATTERN, (token) => {
      const value = byToken.get(token);
      if (value === undefined) {
        stats.unknown++;
        return token;
      }
      stats.restored++;
      return value;
    });

  return {
    surrogate: (name) => table.find((t) => t.name === name)!.token,
    redactText: (input) => Promise.resolve(redact(input)),
    redactBytes(input) {
      const { output, counts } = redact(decoder.decode(input));
      return Promise.resolve({ output: encoder.encode(output), counts });
    },
    gateText: gate,
    gateBytes: (input) => gate(decoder.decode(input)),
    restorer(): Restorer {
      const stats: RestoreStats = { restored: 0, unknown: 0, keptInTools: 0 };
      const text = new TextDecoder();
      let carry = "";
      const stream = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          const all = carry + text.decode(chunk, { stream: true });
          // Hold back what could be the start of a token split across chunks.
          let cut = Math.max(all.length - (SURROGATE_LENGTH - 1), 0);
          for (const match of all.matchAll(SURROGATE_PATTERN)) {
            if (match.index < cut && match.index + match[0].length > cut) {
              cut = match.index + match[0].length;
            }
          }
          carry = all.slice(cut);
          if (cut) controller.enqueue(encoder.encode(restore(all.slice(0, cut), stats)));
        },
        flush(controller) {
          const rest = carry + text.decode();
          if (rest) controller.enqueue(encoder.encode(restore(rest, stats)));
        },
      });
      return { stream, stats };
    },
  };
}
