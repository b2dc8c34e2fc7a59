'use strict';
// A picker (the admin's select2 autocomplete) with data-forward="field,…" sends those fields'
// values with what the user types, so the server offers only what fits them: a service action's
// participants from the action branch chosen above. Loaded after the admin's autocomplete.js,
// whose pickers are set up by then.
{
    const $ = django.jQuery;

    function forward(element) {
        const picker = $(element).data('select2');
        if (!picker || !picker.dataAdapter.ajaxOptions) {
            return;
        }
        const options = picker.dataAdapter.ajaxOptions;
        const ask = options.data;
        options.data = function(params) {
            const data = ask.call(this, params);
            for (const name of element.dataset.forward.split(',')) {
                const field = element.form && element.form.elements[name];
                if (field) {
                    data[name] = field.value;
                }
            }
            return data;
        };
    }

    $(function() {
        $('select[data-forward]').not('[name*=__prefix__]').each(function() {
            forward(this);
        });
    });
}
