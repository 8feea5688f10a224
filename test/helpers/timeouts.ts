/**
 * bun:test time limits for steps whose duration depends on the machine: compiling AssemblyScript with asc
 * (the fixture plugins take ~30 s on an idle 2-core machine, several times that under load) and running
 * many processes in a row. They only stop a hung test: far above what a busy machine needs, so that no
 * test's outcome depends on the machine's speed. (bun:test's default is 5 s.)
 */
export const COMPILE_TIMEOUT_MS = 900_000;
export const MANY_PROCESSES_TIMEOUT_MS = 300_000;
