/**
 * Everything checked against the built release set (see fixture.ts): the archives, the packages
 * generated from them, and install.sh serving them over loopback. One file, so the ~30 s cross
 * build happens once per run and its ~1.2 GB are removed at the end.
 */
import { afterAll, setDefaultTimeout } from "bun:test";
import { removeTempDirs } from "./fixture.ts";
import "./archives.checks.ts";
import "./packages.checks.ts";
import "./install.checks.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);
