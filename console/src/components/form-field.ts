// One labelled input of a FieldsForm (a console-only shape: the form's layout, not the API's).

/** One labelled input of a FieldsForm, bound to `model[key]`. */
export interface FormField {
  key: string;
  label: string;
  testid: string;
  type?: 'text' | 'date' | 'number' | 'textarea';
  maxlength?: number;
  placeholder?: string;
  required?: boolean;
  /** The warning when it is left empty (by default "fill in <label>"). */
  message?: string;
}
