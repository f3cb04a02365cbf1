import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { REQUEST_ID_PATTERN } from '../../common/http/request-id.middleware';

/** Body of `model.request.cancel`; the admin endpoint takes the id from its path. */
export class CancelRequestDto {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70' })
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: 'request_id must be 1-64 characters of A-Z, a-z, 0-9, _ and -' })
  request_id: string;
}

export class CancelResultView {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70' })
  request_id: string;

  @ApiProperty({ enum: ['cancelled', 'completed', 'failed', 'cancelling'], description: 'The request status once the cancel took effect' })
  status: string;
}

export class CancelPathDto {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70' })
  @Matches(REQUEST_ID_PATTERN, { message: 'id must be 1-64 characters of A-Z, a-z, 0-9, _ and -' })
  id: string;
}
