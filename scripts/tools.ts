// The outside binaries the scripts and tests run, found in one place: the Temporal CLI (dev server), the Temporal
// server and its sql tool (the cluster), Temporal's Java time-skipping test server (test/fast) and Chromium
// (test/browser). Each is found in order: its environment variable, then (for some) PATH, then the user's cache
// (~/.cache/tuanwu/), else built or fetched there once (Go, Maven), always moved into place whole so that a
// half-built cache is never used. Chromium is never downloaded (`apt-get install chromium`).
//   npx tsx scripts/tools.ts temporal-cli           # path and version (building it if needed)
//   npx tsx scripts/tools.ts temporal-server        # server, sql tool, schema directory
//   npx tsx scripts/tools.ts temporal-test-server   # the test server's launcher: $(…) 7233 --enable-time-skipping
//   npx tsx scripts/tools.ts chromium               # the browser's path (fails when there is none)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const TEMPORAL_CLI_VERSION = 'v1.5.1'; // later tags carry a `replace` directive that `go install` refuses
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
/** The Go toolchain the server is built with (fetched through the module proxy when the installed Go is older). */
export const TEMPORAL_SERVER_GO_TOOLCHAIN = 'go1.26.10';
export const TEMPORAL_TEST_SERVER_VERSION = '1.31.0';

type Log = (s: string) => void;
interface FindOptions {
  /** false: fail instead of building a missing binary. */
  build?: boolean;
  log?: Log;
}
const stderrLog: Log = (s) => console.error(s);

function tuanwuCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tuanwu');
}

/** The user's cache of the Go-built binaries (the Temporal CLI, the server and its sql tool, the server's schemas). */
export function cacheDir(): string {
  return join(tuanwuCache(), 'bin');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && executable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** An executable named by an environment variable, or undefined when the variable is unset. */
function fromEnv(name: string): string | undefined {
  const p = process.env[name];
  if (p && !executable(p)) throw new Error(`${name}=${p} is not an executable file`);
  return p || undefined;
}

function findGo(): string | undefined {
  return process.env.GO ?? onPath('go') ?? (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

// --- The Temporal CLI: $TEMPORAL_CLI, PATH, the cache, else `go install` into the cache. ---

export function findTemporalCli(opts: FindOptions = {}): string {
  const log = opts.log ?? stderrLog;
  const given = fromEnv('TEMPORAL_CLI');
  if (given) return given;
  const found = onPath('temporal');
  if (found) return found;
  const cached = join(cacheDir(), 'temporal');
  if (executable(cached)) return cached;
  if (opts.build === false) throw new Error('Temporal CLI not found ($TEMPORAL_CLI, PATH, cache) and building is disabled');
  const go = findGo();
  if (!go) {
    throw new Error(
      'Temporal CLI not found: set TEMPORAL_CLI, put `temporal` on PATH, or install Go so it can be built ' +
        `(go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}).`,
    );
  }
  mkdirSync(cacheDir(), { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir()} (once; a few minutes)...`);
  const r = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: cacheDir() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !executable(cached)) throw new Error(`building the Temporal CLI failed (go install exited ${r.status})`);
  return cached;
}

// --- The Temporal server and temporal-sql-tool (scripts/temporal-cluster.ts), with the server's PostgreSQL schemas. ---

const SERVER_MODULE = 'go.temporal.io/server';
const SERVER_NAME = `temporal-server-${TEMPORAL_SERVER_VERSION}`;
const SQL_TOOL_NAME = `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`;
const SCHEMA_NAME = `temporal-schema-${TEMPORAL_SERVER_VERSION}`; // holds postgresql/v12/{temporal,visibility}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  /** `…/postgresql/v12`, or undefined: the sql tool's embedded schemas are used. */
  schemaDir?: string;
}

function goModCache(go: string | undefined): string | undefined {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  if (go) {
    try {
      const out = execFileSync(go, ['env', 'GOMODCACHE'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
      if (out) return out;
    } catch {
      /* fall through */
    }
  }
  return join(process.env.GOPATH || join(homedir(), 'go'), 'pkg', 'mod');
}

function schemaUsable(dir: string): boolean {
  return existsSync(join(dir, 'temporal', 'versioned')) && existsSync(join(dir, 'visibility', 'versioned'));
}

function moduleSchemaDir(go: string | undefined): string | undefined {
  const mod = goModCache(go);
  return mod && join(mod, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
}

/** The PostgreSQL schemas: the user's cache, then Go's module cache. */
function findSchemaDir(go = findGo()): string | undefined {
  const cached = join(cacheDir(), SCHEMA_NAME, 'postgresql', 'v12');
  if (schemaUsable(cached)) return cached;
  const fromModules = moduleSchemaDir(go);
  return fromModules && schemaUsable(fromModules) ? fromModules : undefined;
}

/** Copies the module cache's schemas (read-only files) into the user's cache, writable, atomically. */
function cacheSchema(go: string | undefined, log: Log): void {
  const target = join(cacheDir(), SCHEMA_NAME);
  if (schemaUsable(join(target, 'postgresql', 'v12'))) return;
  const source = moduleSchemaDir(go);
  if (!source || !schemaUsable(source)) return log(`Temporal's PostgreSQL schemas not found in ${goModCache(go)}; the sql tool's embedded ones will be used`);
  const tmp = mkdtempSync(join(cacheDir(), `.${SCHEMA_NAME}-`));
  cpSync(source, join(tmp, 'postgresql', 'v12'), { recursive: true });
  const writable = (p: string) => {
    const dir = statSync(p).isDirectory();
    chmodSync(p, dir ? 0o755 : 0o644);
    if (dir) for (const e of readdirSync(p)) writable(join(p, e));
  };
  writable(tmp);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

/**
 * The server and temporal-sql-tool: $TEMPORAL_SERVER / $TEMPORAL_SQL_TOOL, then the user's cache, else built once
 * with Go (`go install …/cmd/server@v1.32.2 …/cmd/tools/sql@v1.32.2`, several minutes) into that cache.
 */
export function findClusterBinaries(opts: FindOptions = {}): ClusterBinaries {
  const log = opts.log ?? stderrLog;
  const cached = (name: string) => (executable(join(cacheDir(), name)) ? join(cacheDir(), name) : undefined);
  let server = fromEnv('TEMPORAL_SERVER') ?? cached(SERVER_NAME);
  let sqlTool = fromEnv('TEMPORAL_SQL_TOOL') ?? cached(SQL_TOOL_NAME);
  const go = findGo();
  if (!server || !sqlTool) {
    if (opts.build === false) throw new Error('Temporal server or sql tool not found ($TEMPORAL_SERVER, $TEMPORAL_SQL_TOOL, cache) and building is disabled');
    const packages = [`${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`];
    if (!go)
      throw new Error(
        `Temporal server not found: set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL, or install Go so they can be built (go install ${packages.join(' ')}).`,
      );
    mkdirSync(cacheDir(), { recursive: true });
    const gobin = mkdtempSync(join(cacheDir(), '.build-'));
    try {
      log(
        `Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool with Go (${TEMPORAL_SERVER_GO_TOOLCHAIN}) into ${cacheDir()} (once; several minutes)...`,
      );
      const r = spawnSync(go, ['install', ...packages], {
        env: { ...process.env, GOTOOLCHAIN: TEMPORAL_SERVER_GO_TOOLCHAIN, GOBIN: gobin },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (r.status !== 0 || !executable(join(gobin, 'server')) || !executable(join(gobin, 'sql'))) {
        throw new Error(`building the Temporal server failed (go install exited ${r.status ?? r.signal})`);
      }
      if (!server) renameSync(join(gobin, 'server'), (server = join(cacheDir(), SERVER_NAME)));
      if (!sqlTool) renameSync(join(gobin, 'sql'), (sqlTool = join(cacheDir(), SQL_TOOL_NAME)));
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
    cacheSchema(go, log);
  }
  return { server, sqlTool, schemaDir: findSchemaDir(go) };
}

// --- The time-skipping test server (Java, io.temporal:temporal-test-server from Maven Central) for
// TestWorkflowEnvironment.createTimeSkipping() in test/fast: the SDK would download it from a host this project
// cannot reach. Its cache (~/.cache/tuanwu/temporal-test-server-1.31.0/) is a `run` wrapper and its `lib/` of jars,
// resolved by Maven from a generated pom. Needs Java 17+ to run, and Maven to build. ---

const TEST_SERVER_NAME = `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`;
/** Pinned, so a build does not depend on which plugin version Maven would pick by default. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1';
/** The slf4j binding matching the server's slf4j-api: no "Failed to load class StaticLoggerBinder" on every start. */
const SLF4J_VERSION = '1.7.36';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** The user's cache of this version: `run` and `lib/`. */
export function testServerCacheDir(): string {
  return join(tuanwuCache(), TEST_SERVER_NAME);
}

/** A cache is usable once its wrapper and the server's jar are there (it is only ever moved into place whole). */
function testServerUsable(dir: string): boolean {
  return executable(join(dir, 'run')) && existsSync(join(dir, 'lib', `${TEST_SERVER_NAME}.jar`));
}

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/tools.ts: only to let Maven resolve the test server's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tuanwu</groupId>
  <artifactId>temporal-test-server-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEMPORAL_TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

// The wrapper finds its jars next to itself, so the directory can be built elsewhere and moved. The SDK's core runs
// it as `run <port> [extra args]`; `--enable-time-skipping` is the server's only flag. A client JVM (C1 only, serial
// GC) starts sooner, and the test server's load is small.
const RUN = `#!/bin/sh
# Temporal's time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} (Java), built by scripts/tools.ts.
# Usage: run <port> [--enable-time-skipping]
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ -n "\${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi
exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$here/lib/*" ${MAIN_CLASS} "$@"
`;

/** Resolves the jars with Maven into a temporary directory beside the cache, then renames it into place. */
function buildTestServer(target: string, log: Log): void {
  const mvn = process.env.MVN ?? onPath('mvn');
  if (!mvn) {
    throw new Error(
      `Temporal test server not found: set TEMPORAL_TEST_SERVER to an executable that runs it, or install Maven so it can be built ` +
        `(io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION} from Maven Central; it needs Java 17+).`,
    );
  }
  const parent = join(target, '..');
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${TEST_SERVER_NAME}-`));
  try {
    writeFileSync(join(tmp, 'pom.xml'), POM);
    const dist = join(tmp, 'dist');
    log(`Fetching Temporal's test server ${TEMPORAL_TEST_SERVER_VERSION} with Maven into ${target} (once; about a minute)...`);
    const r = spawnSync(
      mvn,
      ['-q', '-B', '-f', join(tmp, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${join(dist, 'lib')}`, '-DincludeScope=runtime'],
      {
        cwd: tmp,
        stdio: ['ignore', 2, 2], // stdout is the answer of the CLI below
      },
    );
    if (r.status !== 0) throw new Error(`fetching the Temporal test server failed (mvn exited ${r.status ?? r.signal})`);
    writeFileSync(join(dist, 'run'), RUN);
    chmodSync(join(dist, 'run'), 0o755);
    if (!testServerUsable(dist)) throw new Error(`fetching the Temporal test server failed: no ${TEST_SERVER_NAME}.jar among the jars Maven copied`);
    try {
      renameSync(dist, target);
    } catch (e) {
      // Another process built it meanwhile (the rename onto its directory fails): use theirs.
      if (!testServerUsable(target)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The test server's launcher, to pass as `server.executable: { type: 'existing-path', path }`:
 * $TEMPORAL_TEST_SERVER, then the user's cache, else built once with Maven into that cache.
 */
export function findTemporalTestServer(opts: FindOptions = {}): string {
  const log = opts.log ?? stderrLog;
  const given = fromEnv('TEMPORAL_TEST_SERVER');
  if (given) return given;
  const dir = testServerCacheDir();
  if (!testServerUsable(dir)) {
    if (opts.build === false) throw new Error(`Temporal test server not found ($TEMPORAL_TEST_SERVER, ${dir}) and building is disabled`);
    // A directory there that is not usable was not put there by this module (it only renames complete ones).
    if (existsSync(dir)) throw new Error(`${dir} exists but holds no usable test server (no run or lib/${TEST_SERVER_NAME}.jar): remove it to rebuild`);
    buildTestServer(dir, log);
  }
  return join(dir, 'run');
}

// --- Chromium for the console's tests: Debian's (`apt-get install chromium`), driven by playwright-core through
// `executablePath`; no browser is downloaded. `$CHROMIUM` names another binary. ---

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    ...(env.CHROMIUM ? [env.CHROMIUM] : []),
    ...(env.PATH ?? '').split(delimiter).flatMap((dir) => (dir ? CHROMIUM_NAMES.map((n) => join(dir, n)) : [])),
    '/usr/bin/chromium',
  ];
  const found = candidates.find(executable);
  if (!found) throw new Error('no Chromium found: install it with `apt-get install chromium`, or set CHROMIUM to its binary');
  return found;
}

/** What the CLI prints for each tool (.ci/run reads it): the path first. */
const CLI: Record<string, () => string> = {
  'temporal-cli': () => {
    const cli = findTemporalCli();
    return `${cli}\n${execFileSync(cli, ['--version']).toString().trim()}`;
  },
  'temporal-server': () => {
    const b = findClusterBinaries();
    return `${b.server}\n${b.sqlTool}\n${b.schemaDir}`;
  },
  'temporal-test-server': () => findTemporalTestServer(),
  chromium: () => findChromium(),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tool = CLI[process.argv[2] ?? ''];
  if (!tool) {
    console.error(`usage: npx tsx scripts/tools.ts ${Object.keys(CLI).join('|')}   (prints where it is, building it once if needed)`);
    process.exit(2);
  }
  try {
    console.log(tool());
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
