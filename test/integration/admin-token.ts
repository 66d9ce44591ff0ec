// The admin token of the Turnout instances integration tests start: their configurations
// name it with admin.auth (reads stay open), and tests that change something through the
// /v1 API send it.
import { randomBytes } from 'node:crypto';

const TOKEN_ENV = 'TURNOUT_IT_ADMIN_TOKEN';
process.env[TOKEN_ENV] ??= randomBytes(24).toString('hex');

/** `admin.auth` for a test configuration. */
export const TEST_ADMIN_AUTH = { tokenEnv: TOKEN_ENV, openReads: true };

/** Headers of a JSON write to the /v1 API. */
export const ADMIN_WRITE_HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${process.env[TOKEN_ENV]}` };
