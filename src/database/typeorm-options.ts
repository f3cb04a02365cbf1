import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InferenceRequestEntity } from '../inference/inference-request.entity';
import { ModelEntity } from '../models/model.entity';

export const ENTITIES = [ModelEntity, InferenceRequestEntity];

/** The one database definition, shared by the app and the migration CLI. Schema changes go through migrations only. */
export function typeOrmOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: ENTITIES,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: { max: config.databasePoolSize },
  };
}
