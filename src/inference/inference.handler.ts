import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandHandler } from '../common/validation/command-handler.decorator';
import { Command } from '../events/patterns';
import { CancellationService, CancelResult } from './cancellation.service';
import { CancelRequestDto } from './dto/cancel-request.dto';

@CommandHandler()
export class InferenceHandler {
  constructor(private readonly cancellation: CancellationService) {}

  @MessagePattern(Command.CancelRequest)
  cancel(@Payload() dto: CancelRequestDto): Promise<CancelResult> {
    return this.cancellation.cancel(dto.request_id);
  }
}
