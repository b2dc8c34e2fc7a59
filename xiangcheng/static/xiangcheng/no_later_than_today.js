'use strict';
// The admin's calendar of a date that cannot be later than today (data-latest="today": a visit,
// a fulfilment, a log entry) offers 昨天 and 今天 but not 明天, and no day after today in its
// month grid: those days are shown, greyed, but are no links. The field would refuse them.
// The shortcuts are removed after the admin's DateTimeShortcuts has drawn the calendars on load,
// and again when an inline row is added (it draws them all anew then); the grid each time a month
// is drawn, today being the server's (DateTimeShortcuts.now).
{
    function latestToday(num) {
        const input = DateTimeShortcuts.calendarInputs[num];
        return input && input.dataset.latest === 'today';
    }

    function withoutTomorrow() {
        if (typeof DateTimeShortcuts === 'undefined') {
            return;
        }
        DateTimeShortcuts.calendarInputs.forEach((input, num) => {
            if (!latestToday(num)) {
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

    if (typeof CalendarNamespace !== 'undefined' && typeof DateTimeShortcuts !== 'undefined') {
        const draw = CalendarNamespace.draw;
        CalendarNamespace.draw = function(month, year, divId, callback, selected) {
            draw.call(this, month, year, divId, callback, selected);
            const prefix = DateTimeShortcuts.calendarDivName2;
            if (!divId.startsWith(prefix) || !latestToday(divId.slice(prefix.length))) {
                return;
            }
            const now = DateTimeShortcuts.now();
            const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
            document.getElementById(divId).querySelectorAll('td > a').forEach((link) => {
                if (new Date(year, month - 1, parseInt(link.textContent, 10)) > today) {
                    const cell = link.parentNode;
                    cell.classList.add('later-than-today');
                    cell.textContent = link.textContent;
                }
            });
        };
    }

    window.addEventListener('load', withoutTomorrow);
    document.addEventListener('formset:added', withoutTomorrow);
}
