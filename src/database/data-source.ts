import { DataSource } from 'typeorm';
import { loadConfigFromEnvironment } from '../config/app-config';
import { typeOrmOptions } from './typeorm-options';

/** Entry point of the TypeORM CLI (`npm run migration:*`). */
export default new DataSource(typeOrmOptions(loadConfigFromEnvironment()));
