import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandHandler } from '../common/validation/command-handler.decorator';
import { Command } from '../events/patterns';
import { ModelView } from './dto/model.dto';
import { RegisterModelDto } from './dto/register-model.dto';
import { ModelsService } from './models.service';

/** Redis command handlers for the registry; every instance answers, so they only touch shared state. */
@CommandHandler()
export class ModelsHandler {
  constructor(private readonly models: ModelsService) {}

  @MessagePattern(Command.RegisterModel)
  register(@Payload() dto: RegisterModelDto): Promise<ModelView> {
    return this.models.register(dto);
  }
}
