import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Command } from '../events/patterns';
import { ModelView } from './dto/model.dto';
import { RegisterModelDto } from './dto/register-model.dto';
import { ModelsService } from './models.service';

/** Redis command handlers for the registry; every instance answers, so they only touch shared state. */
@Controller()
export class ModelsHandler {
  constructor(private readonly models: ModelsService) {}

  @MessagePattern(Command.RegisterModel)
  register(@Payload() dto: RegisterModelDto): Promise<ModelView> {
    return this.models.register(dto);
  }
}
