import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/** `GET /dashboard`: the performance page, served by the service itself (no build server at run time). */
@Module({ controllers: [DashboardController], providers: [DashboardAssets] })
export class DashboardModule {}
