'use strict';
// The admin's calendar of a date that cannot be later than today (data-latest="today": a visit,
// a fulfilment, a log entry) offers 昨天 and 今天 but not 明天, which the field would refuse.
// Run after the admin's DateTimeShortcuts has drawn the calendars on load, and again when an
// inline row is added (it draws them all anew then).
{
    function withoutTomorrow() {
        if (typeof DateTimeShortcuts === 'undefined') {
            return;
        }
        DateTimeShortcuts.calendarInputs.forEach((input, num) => {
            if (!input || input.dataset.latest !== 'today') {
                return;
            }
            const box = document.getElementById(DateTimeShortcuts.calendarDivName1 + num);
            const links = box ? box.querySelectorAll('.calendar-shortcuts a') : [];
            if (links.length === 3) {
                links[2].previousSibling.remove(); // the separator before it
                links[2].remove();
            }
        });
    }

    window.addEventListener('load', withoutTomorrow);
    document.addEventListener('formset:added', withoutTomorrow);
}
