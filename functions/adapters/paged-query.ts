/**
 * The one way Herald pages through DynamoDB: lib-dynamodb's paginators follow `LastEvaluatedKey`,
 * and a failure is turned into the caller's error (which names the table and the action).
 */
import {
  type DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';

/** Every page of a Query. */
export async function* queryPages(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  fail: (error: unknown) => Error,
): AsyncGenerator<QueryCommandOutput> {
  try {
    yield* paginateQuery({ client }, input);
  } catch (error) {
    throw fail(error);
  }
}

/** Every page of a Scan. */
export async function* scanPages(
  client: DynamoDBDocumentClient,
  input: ScanCommandInput,
  fail: (error: unknown) => Error,
): AsyncGenerator<ScanCommandOutput> {
  try {
    yield* paginateScan({ client }, input);
  } catch (error) {
    throw fail(error);
  }
}
