import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandHandler } from '../common/validation/command-handler.decorator';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientKeysService } from '../access/client-keys.service';
import {
  ClientKeyPathDto,
  ClientKeyView,
  CreateClientKeyCommandDto,
  NewClientKeyView,
  RotateClientKeyCommandDto,
  toClientKeyView,
  UpdateClientKeyCommandDto,
} from '../access/dto/client-key.dto';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { Command } from '../events/patterns';
import { settingsOf } from './key-settings';

/**
 * Every instance receives each command and the caller takes the first reply. Creating and
 * rotating happen once (the id is the caller's; a rotation names the prefix it replaces): the
 * instance that did it answers at once, the others this much later with a conflict, which the
 * caller sees only when no instance did it (the id was taken, the key rotated already).
 */
const LOSING_REPLY_DELAY_MS = 2000;

/** Client key management over Redis (docs/api.md, "Commands"): the same as `/api/admin/keys`. */
@CommandHandler()
export class ClientKeysHandler {
  constructor(private readonly keys: ClientKeysService) {}

  @MessagePattern(Command.CreateKey)
  async create(@Payload() { id, ...dto }: CreateClientKeyCommandDto): Promise<NewClientKeyView> {
    const created = await this.keys.createWithId(id, settingsOf(dto));
    if (!created) {
      await sleep(LOSING_REPLY_DELAY_MS);
      throw new DomainError(ErrorCode.Conflict, `A client key with id "${id}" exists: choose a new id`, { id });
    }
    return { ...toClientKeyView(created.key), key: created.secret };
  }

  @MessagePattern(Command.UpdateKey)
  async update(@Payload() { id, ...dto }: UpdateClientKeyCommandDto): Promise<ClientKeyView> {
    const current = await this.keys.get(id);
    return toClientKeyView(await this.keys.update(id, settingsOf(dto, current)));
  }

  @MessagePattern(Command.RevokeKey)
  async revoke(@Payload() { id }: ClientKeyPathDto): Promise<ClientKeyView> {
    return toClientKeyView(await this.keys.revoke(id));
  }

  @MessagePattern(Command.RotateKey)
  async rotate(@Payload() { id, prefix }: RotateClientKeyCommandDto): Promise<NewClientKeyView> {
    try {
      const { key, secret } = await this.keys.rotate(id, prefix);
      return { ...toClientKeyView(key), key: secret };
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.Conflict) await sleep(LOSING_REPLY_DELAY_MS);
      throw error;
    }
  }
}
