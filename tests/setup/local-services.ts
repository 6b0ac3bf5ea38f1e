/**
 * Vitest global setup: starts dynalite and aws-ses-v2-local once per run, in this process, on free
 * ports, and provides their endpoints to test files (`inject('dynamoEndpoint')`).
 * Only the two small servers start here; tests that do not use them pay ~100 ms once per run.
 */
import type { TestProject } from 'vitest/node';
import { startLocalServices } from '../../functions/local/services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sesEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const services = await startLocalServices();
  project.provide('dynamoEndpoint', services.dynamoEndpoint);
  project.provide('sesEndpoint', services.sesEndpoint);
  return async () => {
    await services.stop();
  };
}
