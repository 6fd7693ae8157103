import '@testing-library/jest-dom';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { I18nextProvider } from 'react-i18next';
import type { FormField } from '@hoso/e-forms';
import { i18n } from '../i18n';
import { everyType, registry } from './fixtures';
import { FormRenderer } from './FormRenderer';
import { useEForm } from './useEForm';
import { serverErrors } from './validation';
import { useEffect } from 'react';

let submitted: Record<string, unknown> | null = null;

function Harness({
  fields,
  prefill = {},
  server,
}: {
  fields: FormField[];
  prefill?: Record<string, string>;
  server?: { path: string; message: string }[];
}) {
  const form = useEForm(fields, prefill);
  const { setServerErrors } = form;
  useEffect(() => {
    if (server) setServerErrors(serverErrors(fields, server).byField);
  }, [server, fields, setServerErrors]);
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submitted = form.validateAll() ? form.submission() : null;
      }}
    >
      <FormRenderer form={form} idPrefix="t" />
      <button type="submit">submit</button>
    </form>
  );
}

function renderForm(props: Parameters<typeof Harness>[0]) {
  return render(
    <I18nextProvider i18n={i18n}>
      <Harness {...props} />
    </I18nextProvider>,
  );
}

async function inLanguage(lng: 'vi' | 'en') {
  await act(async () => {
    await i18n.changeLanguage(lng);
  });
}

const byName = (n: string) => everyType.find((f) => f.name === n) as FormField;

beforeEach(async () => {
  submitted = null;
  await inLanguage('vi');
});

describe('FormRenderer', () => {
  it('renders every field type of the catalog with its Vietnamese label and the right control', () => {
    renderForm({ fields: everyType });
    expect(screen.getByLabelText(/^Họ và tên/)).toHaveAttribute('type', 'text');
    expect(screen.getByLabelText(/^Ngày sinh/)).toHaveAttribute('type', 'date');
    expect(screen.getByLabelText(/^Số con/)).toHaveAttribute('type', 'number');
    const gender = screen.getByLabelText(/^Giới tính/);
    expect(gender.tagName).toBe('SELECT');
    expect(
      within(gender)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['— Chọn —', 'Nam', 'Nữ']);
    expect(screen.getByRole('checkbox', { name: /Cam đoan/ })).not.toBeChecked();
    expect(screen.getByLabelText(/^Thư điện tử/)).toHaveAttribute('type', 'email');
    expect(screen.getByLabelText(/^Số điện thoại/)).toHaveAttribute('type', 'tel');
    expect(screen.getByLabelText(/^Số định danh \*/)).toHaveAttribute('inputmode', 'numeric');
    // Required fields say so to assistive technology; optional ones say "optional".
    expect(screen.getByLabelText(/^Họ và tên/)).toHaveAttribute('aria-required', 'true');
    expect(screen.getByText('Thư điện tử', { exact: false }).textContent).toContain('không bắt buộc');
  });

  it('labels the fields in English after the language switch', async () => {
    renderForm({ fields: everyType });
    await inLanguage('en');
    expect(screen.getByLabelText(/^Full name/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Date of birth/)).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: /I declare/ })).toBeInTheDocument();
    expect(screen.getByText(/Fields marked \* are required/)).toBeInTheDocument();
  });

  it('shows nothing until a field is left, then its error, tied to the input', async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType });
    const name = screen.getByLabelText(/^Họ và tên/);
    expect(screen.queryByTestId('error-fullName')).not.toBeInTheDocument();
    await user.click(name);
    await user.tab();
    const error = screen.getByTestId('error-fullName');
    expect(error).toHaveTextContent('Vui lòng nhập mục này.');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name.getAttribute('aria-describedby')).toContain(error.id);
    await user.type(name, 'Nguyễn An');
    expect(screen.queryByTestId('error-fullName')).not.toBeInTheDocument();
  });

  it.each([
    ['vi', 'fullName', 'x'.repeat(11), 'Tối đa 10 ký tự.'],
    ['en', 'fullName', 'x'.repeat(11), 'Enter at most 10 characters.'],
    ['vi', 'note', 'abc', 'Cần ít nhất 5 ký tự.'],
    ['en', 'note', 'abc', 'Enter at least 5 characters.'],
    ['vi', 'children', '21', 'Giá trị lớn nhất là 20.'],
    ['en', 'children', '21', 'The largest value is 20.'],
    ['vi', 'children', '-1', 'Giá trị nhỏ nhất là 0.'],
    ['en', 'children', '-1', 'The smallest value is 0.'],
    ['vi', 'code', '7', 'Không đúng định dạng.'],
    ['en', 'code', '7', 'This is not in the expected format.'],
    ['vi', 'email', 'not-an-email', 'Địa chỉ thư điện tử không hợp lệ.'],
    ['en', 'email', 'not-an-email', 'Enter a valid email address.'],
    ['vi', 'phone', '12345', 'Số điện thoại Việt Nam không hợp lệ.'],
    ['en', 'phone', '12345', 'Enter a valid Vietnamese phone number.'],
    ['vi', 'spouseId', '12345', 'Số định danh cá nhân phải gồm 12 chữ số.'],
    ['en', 'spouseId', '12345', 'A personal identification number is 12 digits.'],
  ])('%s: %s = %j → "%s"', async (lng, field, value, message) => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType });
    await inLanguage(lng as 'vi' | 'en');
    await user.type(screen.getByTestId(`field-${field}`), value);
    await user.tab();
    expect(screen.getByTestId(`error-${field}`)).toHaveTextContent(message);
  });

  it.each([
    ['vi', 'Vui lòng nhập mục này.', 'Vui lòng chọn mục này.'],
    ['en', 'Please fill in this field.', 'Please choose an answer.'],
  ])('select, date and number (%s): missing is "required"', async (lng, required, choose) => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType });
    await inLanguage(lng as 'vi' | 'en');
    await user.click(screen.getByRole('button', { name: 'submit' }));
    expect(submitted).toBeNull();
    expect(screen.getByTestId('error-gender')).toHaveTextContent(choose);
    expect(screen.getByTestId('error-birthDate')).toHaveTextContent(required);
    expect(screen.getByTestId('error-children')).toHaveTextContent(required);
    // Optional fields left empty are fine.
    expect(screen.queryByTestId('error-email')).not.toBeInTheDocument();
  });

  it('refuses a select value that is not one of its options (as intake does)', async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: [byName('gender')], prefill: { gender: 'Khác' } });
    // The registry value is not one of the options: intake would refuse it, so the form says so on submit.
    await user.click(screen.getByRole('button', { name: 'submit' }));
    expect(submitted).toBeNull();
    expect(screen.getByTestId('error-gender')).toHaveTextContent('Vui lòng chọn một giá trị trong danh sách.');
    await user.selectOptions(screen.getByLabelText(/^Giới tính/), 'Nữ');
    await user.click(screen.getByRole('button', { name: 'submit' }));
    expect(submitted).toEqual({ gender: 'Nữ' });
  });

  it('marks prefilled fields, keeps them editable, and shows when the citizen changed one', async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType, prefill: registry });
    const name = screen.getByLabelText(/^Họ và tên/);
    expect(name).toHaveValue('Trần An');
    expect(name).not.toHaveAttribute('readonly');
    expect(screen.getByTestId('prefilled-fullName')).toHaveAttribute('data-prefill-state', 'prefilled');
    expect(screen.getByTestId('prefilled-fullName')).toHaveTextContent(/Cơ sở dữ liệu quốc gia về dân cư/);
    expect(name.getAttribute('aria-describedby')).toContain('t-fullName-prefill');
    expect(screen.getByLabelText(/^Giới tính/)).toHaveValue('Nam');
    expect(screen.getByLabelText(/^Ngày sinh/)).toHaveValue('1990-05-01');
    // Fields without a prefill source carry no mark.
    expect(screen.queryByTestId('prefilled-phone')).not.toBeInTheDocument();

    await user.clear(name);
    await user.type(name, 'Trần Ân');
    expect(screen.getByTestId('prefilled-fullName')).toHaveAttribute('data-prefill-state', 'changed');
  });

  it("locks the prefilled personal ID (intake accepts only the applicant's own)", async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType, prefill: registry });
    const id = screen.getByLabelText(/^Số định danh \*/);
    expect(id).toHaveValue('079090001234');
    expect(id).toHaveAttribute('readonly');
    expect(screen.getByTestId('prefilled-applicantId')).toHaveAttribute('data-prefill-state', 'locked');
    await user.type(id, '9');
    expect(id).toHaveValue('079090001234');
  });

  it('submits the typed values the way intake expects them', async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({ fields: everyType, prefill: registry });
    await user.type(screen.getByLabelText(/^Số con/), '2');
    await user.click(screen.getByRole('checkbox', { name: /Cam đoan/ }));
    await user.type(screen.getByLabelText(/^Số điện thoại/), '0912345678');
    await user.click(screen.getByRole('button', { name: 'submit' }));
    expect(submitted).toEqual({
      fullName: 'Trần An',
      birthDate: '1990-05-01',
      children: 2,
      gender: 'Nam',
      agree: true,
      phone: '0912345678',
      applicantId: '079090001234',
    });
  });

  it("shows the server's message on its field until the citizen edits it", async () => {
    const user = userEvent.setup({ delay: null });
    renderForm({
      fields: everyType,
      prefill: registry,
      server: [{ path: 'form.fullName', message: 'must have at most 10 characters' }],
    });
    const error = await screen.findByTestId('error-fullName');
    expect(error).toHaveTextContent('must have at most 10 characters');
    expect(screen.getByLabelText(/^Họ và tên/)).toHaveAttribute('aria-invalid', 'true');
    await user.type(screen.getByLabelText(/^Họ và tên/), 'xxxx');
    await user.tab();
    // Now the browser's own rule speaks (the value is still too long), in the user's language.
    expect(screen.getByTestId('error-fullName')).toHaveTextContent('Tối đa 10 ký tự.');
  });
});
