import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientKeysService } from '../access/client-keys.service';
import {
  ClientKeyListView,
  ClientKeyPathDto,
  ClientKeySettingsDto,
  ClientKeyView,
  NewClientKeyView,
  toClientKeyView,
  UpdateClientKeyDto,
} from '../access/dto/client-key.dto';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { SpendQueryDto, SpendReportView } from '../spend/dto/spend.dto';
import { SpendService } from '../spend/spend.service';
import { AdminTokenGuard } from './admin-token.guard';
import { settingsOf } from './key-settings';

/** Client keys and their spend (docs/keys.md): a key's secret is in the answer of create and rotate only. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@ApiErrorResponses(401, 403, 415)
@Controller('api/admin')
export class ClientKeysController {
  constructor(
    private readonly keys: ClientKeysService,
    private readonly spend: SpendService,
  ) {}

  @Post('keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a client key; the answer holds its secret, shown this once' })
  @ApiOkResponse({ type: NewClientKeyView })
  @ApiErrorResponses(400)
  async create(@Body() dto: ClientKeySettingsDto): Promise<NewClientKeyView> {
    const { key, secret } = await this.keys.create(settingsOf(dto));
    return { ...toClientKeyView(key), key: secret };
  }

  @Get('keys')
  @ApiOperation({ summary: 'List the client keys, oldest first (no secrets)' })
  @ApiOkResponse({ type: ClientKeyListView })
  async list(): Promise<ClientKeyListView> {
    return { keys: (await this.keys.list()).map(toClientKeyView) };
  }

  @Get('keys/:id')
  @ApiOperation({ summary: 'One client key (no secret)' })
  @ApiOkResponse({ type: ClientKeyView })
  @ApiErrorResponses(400, 404)
  async get(@Param() { id }: ClientKeyPathDto): Promise<ClientKeyView> {
    return toClientKeyView(await this.keys.get(id));
  }

  @Patch('keys/:id')
  @ApiOperation({ summary: 'Change a key: each field given replaces the stored one (null clears it); every instance applies it at once' })
  @ApiOkResponse({ type: ClientKeyView })
  @ApiErrorResponses(400, 404)
  async update(@Param() { id }: ClientKeyPathDto, @Body() dto: UpdateClientKeyDto): Promise<ClientKeyView> {
    const current = await this.keys.get(id);
    return toClientKeyView(await this.keys.update(id, settingsOf(dto, current)));
  }

  @Delete('keys/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: every instance refuses it (401) from the next request on; its requests and spend stay' })
  @ApiOkResponse({ type: ClientKeyView })
  @ApiErrorResponses(400, 404)
  async revoke(@Param() { id }: ClientKeyPathDto): Promise<ClientKeyView> {
    return toClientKeyView(await this.keys.revoke(id));
  }

  @Post('keys/:id/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give a key a new secret (shown this once); the old one stops working at once. Requests, spend and limits stay with the key' })
  @ApiOkResponse({ type: NewClientKeyView })
  @ApiErrorResponses(400, 404, 409)
  async rotate(@Param() { id }: ClientKeyPathDto): Promise<NewClientKeyView> {
    const { key, secret } = await this.keys.rotate(id);
    return { ...toClientKeyView(key), key: secret };
  }

  @Get('spend')
  @ApiOperation({ summary: 'Spend of every key, grouped by key, team, project, user, model or task type' })
  @ApiOkResponse({ type: SpendReportView })
  @ApiErrorResponses(400)
  spendReport(@Query() query: SpendQueryDto): Promise<SpendReportView> {
    return this.spend.report(query, { kind: 'admin' });
  }
}
