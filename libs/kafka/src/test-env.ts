import { connectionEnv, loadConfig } from '@tally/config';

/** The endpoints integration tests use; globalSetup has brought them up. */
export function testEndpoints() {
  return loadConfig(connectionEnv);
}
