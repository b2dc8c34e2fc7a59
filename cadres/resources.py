from django.core.exceptions import ValidationError
from import_export import fields

from cadres.models import AnnualEvaluation, Cadre, CadreQuerySet, PracticePosting, Rank, RankChange
from cadres.services import rank_change_record
from xiangcheng.imex import ChoicesWidget, DateWidget, NaturalKeyWidget, ScopedResource

CADRE_COLUMN = "干部身份证号"


class CadreResource(ScopedResource):
    """Cadres with their current rank: a row whose rank or rank date is new adds a rank change."""

    birth_date = fields.Field(attribute="birth_date", column_name="出生日期", readonly=True, widget=DateWidget())
    rank = fields.Field(attribute="import_rank", column_name="现职级", widget=ChoicesWidget(Rank.choices))
    rank_since = fields.Field(attribute="import_rank_since", column_name="任现职级时间", widget=DateWidget())

    class Meta(ScopedResource.Meta):
        model = Cadre
        fields = [
            "name",
            "sex",
            "id_number",
            "birth_date",
            "degree",
            "major",
            "school",
            "unit",
            "post",
            "organization",
            "line",
            "cadre_type",
            "source",
            "rank",
            "rank_since",
            "notes",
        ]
        import_id_fields = ["id_number"]
        required_headers = ["姓名", "身份证号", "工作单位", "单位党组织", "条线", "类型"]

    def get_queryset(self):
        return super().get_queryset().with_rank()

    def dehydrate_rank(self, cadre):
        rank = getattr(cadre, "current_rank", None)
        return Rank(rank).label if rank else ""

    def dehydrate_rank_since(self, cadre):
        return getattr(cadre, "rank_since", None)

    def sql_rank(self):
        return CadreQuerySet.rank_on()["current_rank"]

    def sql_rank_since(self):
        return CadreQuerySet.rank_on()["rank_since"]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A row that only brings a new rank changes no cadre field, yet must not be skipped; the
        # rank the cadre already holds since that day (as the export writes it) changes nothing.
        rank = getattr(instance, "import_rank", None), getattr(instance, "import_rank_since", None)
        if rank[0] and rank != (getattr(original, "current_rank", None), getattr(original, "rank_since", None)):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        rank, since = getattr(instance, "import_rank", None), getattr(instance, "import_rank_since", None)
        # A cell that could not be read keeps its own message: the pair's rule is for an empty one.
        if rank and not since and "import_rank_since" not in errors:
            errors["import_rank_since"] = ["填写了现职级，须同时填写任现职级时间。"]
        elif since and not rank and "import_rank" not in errors:
            errors["import_rank"] = ["填写了任现职级时间，须同时填写现职级。"]
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs):
        rank, since = getattr(instance, "import_rank", None), getattr(instance, "import_rank_since", None)
        if not (rank and since):
            return
        try:
            rank_change_record(cadre=instance, rank=rank, changed_on=since)
        except ValidationError as error:
            raise ValidationError({"import_rank_since": error.messages}) from None


class CadreRecordResource(ScopedResource):
    """A record of a cadre's archive: the cadre by ID number (masked on export unless the user
    may see full numbers), with their name alongside for reading."""

    cadre = fields.Field(attribute="cadre", column_name=CADRE_COLUMN, widget=NaturalKeyWidget(Cadre, "id_number"))
    cadre_name = fields.Field(attribute="cadre__name", column_name="姓名", readonly=True)


class RankChangeResource(CadreRecordResource):
    class Meta(ScopedResource.Meta):
        model = RankChange
        fields = ["cadre", "cadre_name", "rank", "changed_on", "document"]
        import_id_fields = ["cadre", "changed_on"]
        required_headers = [CADRE_COLUMN, "职级", "任职日期"]


class AnnualEvaluationResource(CadreRecordResource):
    """Evaluations keyed by cadre and year: a row for a year already saved updates it, and a file
    naming one cadre's year twice is refused rather than letting the later row win."""

    class Meta(ScopedResource.Meta):
        model = AnnualEvaluation
        fields = ["cadre", "cadre_name", "year", "grade", "notes"]
        import_id_fields = ["cadre", "year"]
        required_headers = [CADRE_COLUMN, "年度", "考核结果"]

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._seen = set()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        key = (instance.cadre_id, instance.year)
        if all(key):
            if key in self._seen:
                errors["year"] = ["文件中该干部这一年度出现了不止一次：每人每年只能有一条考核结果。"]
            self._seen.add(key)
        super().validate_instance(instance, errors, validate_unique)


class PracticePostingResource(CadreRecordResource):
    class Meta(ScopedResource.Meta):
        model = PracticePosting
        fields = ["cadre", "cadre_name", "kind", "host_unit", "start", "end", "notes"]
        import_id_fields = ["cadre", "kind", "start"]
        required_headers = [CADRE_COLUMN, "锻炼类型", "锻炼单位", "开始日期", "结束日期"]
