"""Building admin POST data: the inline formsets' management forms."""


def management_data(response, **new_forms: int) -> dict[str, str]:
    """Management fields of every inline on the page, with ``new_forms[prefix]`` extra forms.

    Existing inline rows are left out of the POST, so use objects without inline rows.
    """
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        assert initial == 0, f"{formset.prefix} has rows; post them or use a fresh object"
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(new_forms.get(formset.prefix, 0))
        data[f"{formset.prefix}-INITIAL_FORMS"] = "0"
        data[f"{formset.prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{formset.prefix}-MAX_NUM_FORMS"] = "1000"
    return data
