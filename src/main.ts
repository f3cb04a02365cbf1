import { Logger } from '@nestjs/common';
import { createApp } from './app';
import { ConfigError, loadConfigFromEnvironment } from './config/app-config';

async function bootstrap(): Promise<void> {
  // The last line of defence, for a promise nobody awaited: logged with its stack, and the instance
  // keeps serving everyone else instead of exiting. Driver errors are handled where they arise.
  process.on('unhandledRejection', (reason: unknown) => Logger.error(reason, 'Process'));
  const config = loadConfigFromEnvironment();
  const app = await createApp(config);
  if (config.usingDevelopmentEncryptionKey) {
    Logger.warn('ENCRYPTION_KEY is not set: provider secrets are sealed with the development key', 'Bootstrap');
  }
  await app.startAllMicroservices();
  await app.listen(config.port);
  Logger.log(`Listening on port ${config.port}; API docs at /docs`, 'Bootstrap');

  // Nest's own shutdown hooks re-raise the signal after closing; a drained instance exits 0 instead.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      Logger.log(`${signal}: draining`, 'Bootstrap');
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          Logger.fatal(error, 'Bootstrap');
          process.exit(1);
        },
      );
    });
  }
}

bootstrap().catch((error: unknown) => {
  // A configuration problem is the operator's to fix, found before there is a logger: print it plainly, without a stack.
  if (error instanceof ConfigError) console.error(error.message);
  else Logger.fatal(error, 'Bootstrap');
  process.exit(1);
});
