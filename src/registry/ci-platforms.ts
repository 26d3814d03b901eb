/**
 * The variables a CI platform sets for every job, which hold no secret: with
 * `process_env = "all"` they would turn paths, repository names and run ids in the model's
 * prompt into surrogates. Only the platform detected in the environment is skipped, and a name
 * that says it holds a secret (`CI_JOB_TOKEN`, `ACTIONS_RUNTIME_TOKEN`) or a value with a
 * credential shape is protected whatever the list says. docs/ci.md lists them.
 */
import { runtime } from "../runtime/mod.ts";
import type { Env } from "../config/paths.ts";

export interface Platform {
  name: string;
  detect: (env: Env) => boolean;
  /** Exact names or `PREFIX*` patterns. */
  names: string[];
}

/** Set by the operating system or the shell on every runner. */
export const SYSTEM_NAMES = [
  "HOME",
  "PATH",
  "PWD",
  "OLDPWD",
  "SHELL",
  "USER",
  "USERNAME",
  "LOGNAME",
  "HOSTNAME",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TERM",
  "TZ",
  "TMPDIR",
  "TEMP",
  "TMP",
  "SHLVL",
  "_",
  "CI",
  "XDG_*",
  "MAIL",
  "EDITOR",
  "PAGER",
  "DEBIAN_FRONTEND",
  "HOMEDRIVE",
  "HOMEPATH",
  "USERPROFILE",
  "APPDATA",
  "LOCALAPPDATA",
  "PROGRAMDATA",
  "PROGRAMFILES*",
  "SYSTEMROOT",
  "SYSTEMDRIVE",
  "WINDIR",
  "COMSPEC",
  "PATHEXT",
  "PROCESSOR_*",
  "NUMBER_OF_PROCESSORS",
];

export const PLATFORMS: Platform[] = [
  {
    name: "GitHub Actions",
    detect: (env) => env.GITHUB_ACTIONS === "true",
    names: [
      "GITHUB_*",
      "RUNNER_*",
      "ACTIONS_*",
      "ImageOS",
      "ImageVersion",
      "AGENT_TOOLSDIRECTORY",
      "JAVA_HOME*",
      "GOROOT*",
      "ANDROID_*",
      "CHROME*",
      "EDGEWEBDRIVER",
      "GECKOWEBDRIVER",
      "SELENIUM_JAR_PATH",
      "CONDA",
      "VCPKG_INSTALLATION_ROOT",
      "PIPX_*",
      "POWERSHELL_*",
      "DOTNET_*",
      "BOOTSTRAP_HASKELL_NONINTERACTIVE",
      "GHCUP_INSTALL_BASE_PREFIX",
      "SWIFT_PATH",
      "AZURE_EXTENSION_DIR",
      "ACCEPT_EULA",
      "INVOCATION_ID",
      "JOURNAL_STREAM",
      "SYSTEMD_EXEC_PID",
      "NVM_DIR",
    ],
  },
  {
    name: "GitLab CI",
    detect: (env) => env.GITLAB_CI === "true",
    names: ["CI_*", "GITLAB_*", "FF_*", "CHAT_CHANNEL", "CHAT_INPUT"],
  },
  {
    name: "CircleCI",
    detect: (env) => env.CIRCLECI === "true",
    names: ["CIRCLE_*", "CIRCLECI"],
  },
  {
    name: "Buildkite",
    detect: (env) => env.BUILDKITE === "true",
    names: ["BUILDKITE*"],
  },
  {
    name: "Azure Pipelines",
    detect: (env) => env.TF_BUILD === "True" || env.TF_BUILD === "true",
    names: [
      "BUILD_*",
      "SYSTEM_*",
      "AGENT_*",
      "PIPELINE_*",
      "RELEASE_*",
      "TF_BUILD",
      "ENDPOINT_URL_*",
    ],
  },
  {
    name: "Jenkins",
    detect: (env) => Boolean(env.JENKINS_URL),
    names: [
      "JENKINS_*",
      "BUILD_*",
      "JOB_*",
      "NODE_NAME",
      "NODE_LABELS",
      "EXECUTOR_NUMBER",
      "WORKSPACE",
      "WORKSPACE_TMP",
      "HUDSON_*",
      "RUN_*",
      "GIT_BRANCH",
      "GIT_COMMIT",
      "GIT_PREVIOUS_*",
      "GIT_URL",
    ],
  },
  {
    name: "Travis CI",
    detect: (env) => env.TRAVIS === "true",
    names: ["TRAVIS*", "HAS_JOSH_K_SEAL_OF_APPROVAL"],
  },
];

/** A test for names that match any exact name or glob pattern (`PREFIX*`), as Bun's Glob reads it. */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !/[*?[{]/.test(p)));
  const globs = patterns.filter((p) => !exact.has(p)).map((p) => runtime.glob(p));
  return (name) => exact.has(name) || globs.some((glob) => glob.match(name));
}

/** The system's and the detected CI platforms' own variables, and the platforms' names. */
export function platformNames(
  env: Env,
): { platforms: string[]; isPlatformName: (name: string) => boolean } {
  const detected = PLATFORMS.filter((p) => p.detect(env));
  return {
    platforms: detected.map((p) => p.name),
    isPlatformName: nameMatcher([...SYSTEM_NAMES, ...detected.flatMap((p) => p.names)]),
  };
}
