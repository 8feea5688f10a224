/**
 * Tests that need a system tool (from a Debian package) skip with a visible reason when it is missing
 * on a developer's machine, and fail under CI (CI=true), where .ci/run installs it.
 */
export function hasCommand(command: string, debianPackage: string): boolean {
  if (Bun.which(command)) return true;
  const reason = `\`${command}\` is missing (Debian package ${debianPackage}; .ci/run installs it)`;
  if (process.env.CI === "true") throw new Error(`CI: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return false;
}
