/**
 * Vitest global setup: starts dynalite, aws-ses-v2-local and s3rver once per run, in this process, on free
 * ports, and provides their endpoints to test files (`inject('dynamoEndpoint')`).
 * Only these small servers start here; tests that do not use them pay ~100 ms once per run.
 */
import type { TestProject } from 'vitest/node';
import { startS3rver } from '../../functions/local/s3-server.ts';
import { startLocalServices } from '../../functions/local/services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sesEndpoint: string;
    /** s3rver (publish tests): credentials S3RVER/S3RVER, path-style; see functions/local/s3-server.ts. */
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [services, s3] = await Promise.all([startLocalServices(), startS3rver()]);
  project.provide('dynamoEndpoint', services.dynamoEndpoint);
  project.provide('sesEndpoint', services.sesEndpoint);
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await Promise.all([services.stop(), s3.stop()]);
  };
}
