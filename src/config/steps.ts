/** What a job step names: `"<plugin> <command> [account]"` (the schema has checked the shape). */
export interface JobStep {
  plugin: string;
  command: string;
  account?: string;
}

export function parseStep(step: string): JobStep {
  const [plugin, command, account] = step.trim().split(/\s+/) as [string, string, string | undefined];
  return account === undefined ? { plugin, command } : { plugin, command, account };
}
