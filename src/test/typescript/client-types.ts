// Compiled (never run) against the TypeScript client generated from docs/openapi.yaml, in strict
// mode: the client must type parameters and fields as the document says, never `any`.
import {
    AuditApi,
    Configuration,
    Direction,
    MigrationApi,
    OperationState,
} from '../../../target/generated-test-sources/openapi-typescript-client';
import type {
    IntegrityReport,
    ListAccountsRequest,
    ListCandidatesRequest,
    ListOperationsRequest,
    MigrateDatasourceRequest,
    MigrationRequest,
    Operation,
    OperationPage,
    Problem,
    ReverseMigrationRequest,
} from '../../../target/generated-test-sources/openapi-typescript-client';

// True only when A and B are the same type; `any` equals nothing but itself.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): void {}

expectType<Equals<ListAccountsRequest['integrationType'], string>>();
expectType<Equals<ListCandidatesRequest['accountId'], string>>();
expectType<Equals<MigrateDatasourceRequest['datasourceId'], string>>();
expectType<Equals<MigrateDatasourceRequest['migrationRequest'], MigrationRequest>>();
expectType<Equals<ReverseMigrationRequest['datasourceId'], string>>();
expectType<Equals<ListOperationsRequest['limit'], number | undefined>>();
expectType<Equals<ListOperationsRequest['direction'], Direction | undefined>>();
expectType<Equals<ListOperationsRequest['state'], OperationState | undefined>>();
expectType<Equals<ListOperationsRequest['from'], Date | undefined>>();
expectType<Equals<ListOperationsRequest['to'], Date | undefined>>();
expectType<Equals<Direction, 'V1_TO_V2' | 'V2_TO_V1'>>();
expectType<Equals<OperationState, 'PENDING' | 'COMPLETE' | 'INCOMPLETE' | 'ABORTED' | 'FAILED' | 'UNKNOWN'>>();
expectType<Equals<Operation['state'], OperationState>>();
expectType<Equals<Operation['direction'], Direction>>();
expectType<Equals<Operation['requestedAt'], Date>>();
expectType<Equals<Operation['completedAt'], Date | null | undefined>>();
expectType<Equals<Operation['upstreamStatus'], number | null | undefined>>();
expectType<Equals<Problem['status'], number>>();

/** What a caller writes: the five operations and an audit query, each with its real types. */
export async function migrateAndAudit(basePath: string, operatorKey: string, auditorKey: string,
        datasourceId: string): Promise<[Operation, Operation, OperationPage, IntegrityReport]> {
    const migration = new MigrationApi(new Configuration({ basePath, apiKey: operatorKey }));
    const types: string[] = await migration.listIntegrationTypes();
    const accounts = await migration.listAccounts({ integrationType: types[0] });
    const candidates = await migration.listCandidates({ accountId: accounts[0].id ?? '' });
    const migrated = await migration.migrateDatasource({
        datasourceId: candidates[0].id ?? datasourceId,
        migrationRequest: { accountId: accounts[0].id ?? '', catalog: 'MyCatalogName', schema: 'MySchemaName',
            table: 'MyTableName' },
        idempotencyKey: 'retry-safe-1',
    });
    const reversed = await migration.reverseMigration({ datasourceId: migrated.datasourceId });

    const audit = new AuditApi(new Configuration({ basePath, apiKey: auditorKey }));
    const page = await audit.listOperations({
        datasourceId: migrated.datasourceId,
        direction: Direction.V1ToV2,
        state: OperationState.Complete,
        from: new Date(migrated.requestedAt.getTime() - 1000),
        limit: 50,
    });
    return [migrated, reversed, page, await audit.verifyIntegrity()];
}
