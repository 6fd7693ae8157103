// The e-form rules live in a shared library so the portal validates a form in the browser with the same code
// intake runs here.
export {
  buildFormSchema,
  countPrefilledFields,
  fieldSchema,
  formValueFor,
  validateForm,
  type FormIssue,
  type FormValidation,
} from '@hoso/e-forms';
