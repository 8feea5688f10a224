import type { Command } from "commander";
import { checkPassword, checkUserName, parseRole, ROLE_SCOPES, USER_ROLES, UserStore, type UserInfo } from "../../auth/users.ts";
import { commonOptions, configFor, withDatabase } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";
import { readNewPassword } from "../password-prompt.ts";

/** A user's public facts as JSON (never the password or its hash). */
export function userJson(info: UserInfo) {
  return {
    id: info.id,
    name: info.name,
    role: info.role,
    scopes: ROLE_SCOPES[info.role],
    created_at: info.createdAt.toISOString(),
    password_changed_at: info.passwordChangedAt.toISOString(),
    disabled_at: info.disabledAt?.toISOString() ?? null,
  };
}

export function registerUsers(program: Command): void {
  const group = program.command("users").description("people who log in to the web UI: create, list, disable, enable, passwd");

  group
    .command("create")
    .description("make a web UI user; the password is read from standard input or asked for, never taken as an argument")
    .argument("<name>", "the login name (lower-case letters, digits, '_' and '-')")
    .requiredOption("--role <role>", `what the user may do: ${USER_ROLES.join(", ")} (viewer reads; operator also runs jobs; admin everything)`)
    .option("--json", "print JSON")
    .action(async (name: string, options: { role: string }, command: Command) => {
      // Checked before the password is asked for: a wrong command line asks nothing and creates nothing.
      checkUserName(name);
      const role = parseRole(options.role);
      const config = configFor(command);
      const password = checkPassword(await readNewPassword());
      await withDatabase(config, async (database) => {
        const info = await new UserStore(database).create({ name, role, password });
        if (commonOptions(command).json) return printJson(userJson(info));
        printLine(`created user '${info.name}' (${info.role}); log in at the web UI (syncer serve: the address it prints)`);
      });
    });

  group
    .command("list")
    .description("every user: role, when created, whether disabled (never a password)")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        const users = new UserStore(database).list();
        if (commonOptions(command).json) return printJson({ users: users.map(userJson) });
        if (users.length === 0) return printLine(color.dim("no users; make one with `syncer users create NAME --role admin`"));
        for (const user of users) {
          const state = user.disabledAt ? color.red(`disabled ${user.disabledAt.toISOString()}`) : color.green("enabled");
          printLine(`${user.name.padEnd(24)} ${color.cyan(user.role.padEnd(8))}  created ${user.createdAt.toISOString()}  ${state}`);
        }
      }),
    );

  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    group
      .command(verb)
      .description(disabled ? "stop a user from logging in; their sessions end at once" : "let a disabled user log in again")
      .argument("<name>")
      .option("--json", "print JSON")
      .action((name: string, _options: unknown, command: Command) =>
        withDatabase(configFor(command), (database) => {
          const { info, changed, sessionsEnded } = new UserStore(database).setDisabled(name, disabled);
          if (commonOptions(command).json) return printJson({ ...userJson(info), changed, sessions_ended: sessionsEnded });
          if (!changed) return printLine(`user '${info.name}' was already ${disabled ? "disabled" : "enabled"}; nothing changed`);
          printLine(`${disabled ? "disabled" : "enabled"} user '${info.name}'${disabled ? `; ${sessionsEnded} session(s) ended` : ""}`);
        }),
      );
  }

  group
    .command("passwd")
    .description("set a user's password (from standard input or asked for); the user's sessions end")
    .argument("<name>")
    .option("--json", "print JSON")
    .action(async (name: string, _options: unknown, command: Command) => {
      const config = configFor(command);
      await withDatabase(config, async (database) => {
        const users = new UserStore(database);
        // The user must exist before a password is asked for.
        users.named(name);
        const password = checkPassword(await readNewPassword());
        const { info, sessionsEnded } = await users.setPassword(name, password);
        if (commonOptions(command).json) return printJson({ ...userJson(info), sessions_ended: sessionsEnded });
        printLine(`set a new password for '${info.name}'; ${sessionsEnded} session(s) ended`);
      });
    });
}
