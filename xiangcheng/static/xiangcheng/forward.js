'use strict';
// A picker (the admin's select2 autocomplete) with data-forward="field" sends that field's value
// with what the user types, so the server offers only what fits it (`choices_follow`,
// xiangcheng/sites.py): a service action's participants from the action branch chosen above, a
// fulfilment's support requests from the talent chosen beside them. The field is the one of the
// same form or inline row; data-forward-value stands for it when it is the page's own record (a
// grid's roles on the grid's page). Loaded after the admin's autocomplete.js, whose pickers are
// set up by then, and set up again on each inline row added.
{
    const $ = django.jQuery;

    function forwarded(element) {
        if (element.dataset.forwardValue !== undefined) {
            return element.dataset.forwardValue;
        }
        // In an inline row the field carries the row's prefix too (fulfilment_set-0-talent).
        const prefix = element.name.slice(0, element.name.length - element.dataset.fieldName.length);
        const field = element.form && element.form.elements.namedItem(prefix + element.dataset.forward);
        return field ? field.value : '';
    }

    function forward(element) {
        const picker = $(element).data('select2');
        if (!picker || !picker.dataAdapter.ajaxOptions || element.dataset.forwarding) {
            return;
        }
        element.dataset.forwarding = 'yes';
        const options = picker.dataAdapter.ajaxOptions;
        const ask = options.data;
        options.data = function(params) {
            return {...ask.call(this, params), [element.dataset.forward]: forwarded(element)};
        };
    }

    $(function() {
        $('select[data-forward]').not('[name*=__prefix__]').each(function() {
            forward(this);
        });
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('select[data-forward]').each(function() {
            forward(this);
        });
    });
}
