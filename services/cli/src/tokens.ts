// The HTTP API's tokens and roles: made and revoked by `tally tokens`, checked by services/api. One definition here,
// so the API depends on the CLI and not the other way round.
export { apiRoles, apiRole, ANY_ROLE, mayUse, type ApiRole } from './api-roles.ts';
export { newToken, hashToken, looksLikeToken } from './api-token-secret.ts';
export {
  createToken,
  listTokens,
  revokeToken,
  findLiveToken,
  tokenName,
  TokenNameTaken,
  type TokenInfo,
} from './api-token-store.ts';
