import type { Command } from "commander";
import { parseTokenRequest, TOKEN_SCOPES, TokenStore, type TokenInfo } from "../../auth/tokens.ts";
import type { Config } from "../../config/load.ts";
import { commonOptions, configFor, withDatabase } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";

/** A token's public facts as JSON (never the token or its hash); the API answers the same. */
export function tokenJson(info: TokenInfo) {
  return {
    id: info.id,
    name: info.name,
    prefix: info.prefix,
    scopes: info.scopes,
    created_at: info.createdAt.toISOString(),
    last_used_at: info.lastUsedAt?.toISOString() ?? null,
    revoked_at: info.revokedAt?.toISOString() ?? null,
  };
}

/** --scope may be repeated and may hold a comma-separated list. */
function collectScopes(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(",").map((scope) => scope.trim()).filter(Boolean)];
}

/** Where the API of this config answers, for the usage hint: a wildcard listen address is reached on loopback. */
function apiUrl(config: Config): string {
  const { listen } = config.server;
  const colon = listen.lastIndexOf(":");
  const host = listen.slice(0, colon);
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host;
  return `http://${reachable}:${listen.slice(colon + 1)}/api/v1/hosts`;
}

export function registerToken(program: Command): void {
  const group = program.command("token").description("API bearer tokens: create (shown once), list, revoke");

  group
    .command("create")
    .description("make a token for the HTTP API; it is printed once and only its hash is stored")
    .requiredOption("--name <name>", "what the token is for (lower-case letters, digits, '_' and '-')")
    .option("--scope <scope>", `a scope it grants, repeatable or comma-separated: ${TOKEN_SCOPES.join(", ")}`, collectScopes, [])
    .option("--json", 'print JSON: {"token": ..., "id", "name", "scopes", ...}')
    .action((options: { name: string; scope: string[] }, command: Command) => {
      // Checked before the database is opened: a wrong command line creates nothing.
      const request = parseTokenRequest({ name: options.name, scopes: options.scope });
      const config = configFor(command);
      return withDatabase(config, (database) => {
        const { token, info } = new TokenStore(database).create(request);
        if (commonOptions(command).json) return printJson({ token, ...tokenJson(info) });
        printLine(`created token '${info.name}' (id ${info.id}) with scopes ${info.scopes.join(", ")}:`);
        printLine();
        printLine(`  ${token}`);
        printLine();
        printLine(color.yellow("It will not be shown again: store it now (only its hash is kept)."));
        printLine(`Use it:  export SYNCER_TOKEN=<the token above>`);
        printLine(`         curl -H "Authorization: Bearer $SYNCER_TOKEN" ${apiUrl(config)}`);
      });
    });

  group
    .command("list")
    .description("every token, revoked ones too: name, prefix, scopes, when created and last used (never the token)")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        const tokens = new TokenStore(database).list();
        if (commonOptions(command).json) return printJson({ tokens: tokens.map(tokenJson) });
        if (tokens.length === 0) return printLine(color.dim("no tokens; make one with `syncer token create --name NAME --scope SCOPE`"));
        for (const token of tokens) {
          const state = token.revokedAt ? color.red(`revoked ${token.revokedAt.toISOString()}`) : color.green("active");
          const used = token.lastUsedAt ? `last used ${token.lastUsedAt.toISOString()}` : "never used";
          printLine(
            `#${String(token.id).padEnd(4)} ${token.name.padEnd(20)} ${color.dim(`${token.prefix}…`)}  ${color.cyan(token.scopes.join(","))}  created ${token.createdAt.toISOString()}  ${used}  ${state}`,
          );
        }
      }),
    );

  group
    .command("revoke")
    .description("revoke a token by name or id; the daemon refuses it within seconds")
    .argument("<name-or-id>", "the token's name (its active token) or id")
    .option("--json", "print JSON")
    .action((nameOrId: string, _options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        const { info, alreadyRevoked } = new TokenStore(database).revoke(nameOrId);
        if (commonOptions(command).json) return printJson({ ...tokenJson(info), already_revoked: alreadyRevoked });
        if (alreadyRevoked) return printLine(`token '${info.name}' (id ${info.id}) was already revoked at ${info.revokedAt?.toISOString()}; nothing changed`);
        printLine(`revoked token '${info.name}' (id ${info.id}); a running daemon refuses it within a few seconds`);
      }),
    );
}
