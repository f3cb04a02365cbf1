import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { fieldErrors } from '../../common/validation/validation';
import { RegisterModelDto } from '../dto/register-model.dto';
import catalogueFile from './well-known-models.json';

/** A catalogue entry is a registration plus the date its prices were read off the vendor's price list. */
export interface CatalogueEntry {
  registration: RegisterModelDto;
  pricesAsOf: string;
}

/** Validates the built-in catalogue with the same rules as `model.register`; a bad entry stops the boot. */
export function loadCatalogue(): CatalogueEntry[] {
  return catalogueFile.models.map(({ prices_as_of, ...entry }) => {
    const registration = plainToInstance(RegisterModelDto, entry);
    const errors = validateSync(registration, { forbidUnknownValues: true });
    if (errors.length > 0) {
      throw new Error(`Invalid catalogue entry ${entry.model_id}: ${JSON.stringify(fieldErrors(errors))}`);
    }
    return { registration, pricesAsOf: prices_as_of };
  });
}
