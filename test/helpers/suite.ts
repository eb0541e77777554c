import { after, afterEach } from 'node:test';
import { closeAllClients } from './client.js';
import { countFaults, type FaultCounter } from './faults.js';
import { stopAllServers } from './server.js';

/**
 * The hooks every integration file needs: clients closed after each test, clients and servers
 * stopped after the file, and uncaughtException/unhandledRejection counted meanwhile (the
 * file's X6 test asserts the count is 0).
 */
export function useIntegrationSuite(): FaultCounter {
  const faults = countFaults();
  afterEach(() => closeAllClients());
  after(async () => {
    await closeAllClients();
    await stopAllServers();
    faults.dispose();
  });
  return faults;
}
