import type { AuthVariables } from "../auth.ts";

/** Hono's environment of the API: what the token check leaves for the handlers. */
export interface ApiEnv {
  Variables: AuthVariables;
}
