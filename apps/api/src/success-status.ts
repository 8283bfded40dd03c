/** The Radix `Status` body of a successful stop or delete. */
export interface SuccessBody {
  status: 'Success';
  message: string;
  code: 200;
}

export const success = (message: string): SuccessBody => ({ status: 'Success', message, code: 200 });
