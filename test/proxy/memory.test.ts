import { afterEach, expect, spyOn, test } from "bun:test";
import { collectAfterLargeRequest } from "../../src/proxy/memory.ts";

const gc = spyOn(Bun, "gc");
afterEach(() => gc.mockClear());

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

test("one full collection after large requests, on a timer; none after small ones", async () => {
  gc.mockImplementation(() => 0);
  collectAfterLargeRequest(1024 * 1024 - 1);
  await tick();
  expect(gc).not.toHaveBeenCalled();

  collectAfterLargeRequest(5_000_000);
  collectAfterLargeRequest(5_000_000);
  // Not inside the request's own task: the answer's end goes out first.
  expect(gc).not.toHaveBeenCalled();
  await tick();
  expect(gc.mock.calls).toEqual([[true]]);

  collectAfterLargeRequest(2_000_000);
  await tick();
  expect(gc).toHaveBeenCalledTimes(2);
  gc.mockRestore();
});
