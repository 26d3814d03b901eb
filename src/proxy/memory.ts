/**
 * Memory after large requests. A request of a few MB leaves several copies of its body behind
 * (the runtime's read buffer, the body, the shape detector's text view, the redacted copy,
 * `fetch`'s own copy), and the engine (JavaScriptCore under Bun) collects them lazily. In a
 * session whose history grows to 5 MB, one full collection once a large request is done took
 * ficta's peak RSS from 479 to 263 MiB over 300 turns, and from 200-244 to 145-150 MiB over 100
 * (docs/benchmarks.md).
 */
import { runtime } from "../runtime/mod.ts";

const LARGE = 1024 * 1024;
let scheduled = false;

/**
 * After a request whose body was at least 1 MiB: a full collection, on a timer so it runs after
 * the answer's last bytes are sent (the agent is then running tools or waiting for the next turn).
 */
export function collectAfterLargeRequest(bodyBytes: number): void {
  if (bodyBytes < LARGE || scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    runtime.collectGarbage();
  }, 0);
}
