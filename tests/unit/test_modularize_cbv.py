"""Class-based views, domain names, view changes and rules: migrate_to_modules on LocalLibrary-like code.

Django-free: the resolver below answers for a catalog app the way the app registry would.
"""

import ast
import textwrap

from modkit.modularize.method_names import QueryNamer, method_name, save_name
from modkit.modularize.orm_scan import FormRef, ModelRef, ViewScanner
from modkit.modularize.rules import Rule, rules_of_source, rules_text, view_rules
from modkit.modularize.servicegen import ServiceBuilder

USER = ModelRef("auth.User", "User", "django.contrib.auth.models", fields={"username": "CharField"})
AUTHOR = ModelRef(
    "catalog.Author",
    "Author",
    "catalog.models",
    verbose_name="author",
    fields={"id": "AutoField", "first_name": "CharField", "last_name": "CharField", "date_of_birth": "DateField"},
    editable=("first_name", "last_name", "date_of_birth"),
    ordering=("last_name", "first_name"),
    related={"book_set": "catalog.Book"},
)
BOOK = ModelRef(
    "catalog.Book",
    "Book",
    "catalog.models",
    verbose_name="book",
    fields={"id": "AutoField", "title": "CharField", "author": "ForeignKey", "genre": "ManyToManyField"},
    forward={"author": "catalog.Author", "genre": "catalog.Genre"},
    related={"bookinstance_set": "catalog.BookInstance", "genre": "catalog.Genre"},
    editable=("title", "author", "genre"),
    many_to_many=("genre",),
    ordering=("title",),
    writers={"retitle": 1, "set_genres": 3},
)
COPY = ModelRef(
    "catalog.BookInstance",
    "BookInstance",
    "catalog.models",
    verbose_name="book instance",
    fields={
        "id": "UUIDField",
        "book": "ForeignKey",
        "status": "CharField",
        "borrower": "ForeignKey",
        "due_back": "DateField",
        "on_hold": "BooleanField",
    },
    forward={"book": "catalog.Book", "borrower": "auth.User"},
    choices={"status": {"m": "Maintenance", "o": "On loan", "a": "Available"}},
    ordering=("-due_back",),
)
MODELS = {"catalog.models.Author": AUTHOR, "catalog.models.Book": BOOK, "catalog.models.BookInstance": COPY}
BY_LABEL = {m.label: m for m in [*MODELS.values(), USER]}
QUESTION_FORM = FormRef("QuestionForm", "catalog.forms", BOOK, fields=("title",), custom_save=True)
BOOK_FORM = FormRef("BookForm", "catalog.forms", BOOK, fields=("title", "genre"), many_to_many=("genre",))


class Resolver:
    def model(self, dotted):
        return MODELS.get(dotted)

    def form(self, dotted):
        return {"catalog.forms.QuestionForm": QUESTION_FORM, "catalog.forms.BookForm": BOOK_FORM}.get(dotted)

    def user_model(self):
        return USER

    def by_label(self, label):
        return BY_LABEL.get(label)


HEAD = """\
import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import F, RestrictedError
from django.shortcuts import get_object_or_404
from django.views import generic
from django.views.generic.edit import CreateView, DeleteView, UpdateView

from catalog.forms import BookForm, QuestionForm
from catalog.models import Author, Book, BookInstance
"""


def scanner_for(body: str) -> ViewScanner:
    text = HEAD + textwrap.dedent(body)
    return ViewScanner(
        resolver=Resolver(),
        text=text,
        tree=ast.parse(text),
        module_name="catalog.views",
        is_package=False,
        file="catalog/views.py",
    )


def scan(body: str):
    return scanner_for(body).scan()


def line_of(scanner: ViewScanner, fragment: str) -> int:
    return next(i for i, line in enumerate(scanner.text.splitlines(), 1) if fragment in line)


def build(body: str):
    scanner = scanner_for(body)
    builder = ServiceBuilder(
        scanners={scanner.file: scanner},
        texts={scanner.file: scanner.text},
        service_var="catalog_service",
        provide="catalog.catalog_service",
        not_found=("services.errors", "NotFound"),
    )
    for use in scanner.scan():
        builder.add(use)
    builder.finalize()
    return builder


def method(builder: ServiceBuilder, name: str):
    return next(m for m in builder.methods if m.name == name)


def names(builder: ServiceBuilder) -> list[str]:
    return [m.name for m in builder.methods]


LIBRARY = """
class BookListView(generic.ListView):
    model = Book
    paginate_by = 10


class BookDetailView(generic.DetailView):
    model = Book


class AuthorCreate(PermissionRequiredMixin, CreateView):
    model = Author
    fields = ["first_name", "last_name", "date_of_birth"]
    permission_required = "catalog.add_author"


class AuthorUpdate(PermissionRequiredMixin, UpdateView):
    model = Author
    fields = "__all__"
    permission_required = "catalog.change_author"


class AuthorDelete(PermissionRequiredMixin, DeleteView):
    model = Author
    success_url = "/authors/"
    permission_required = "catalog.delete_author"


class AuthorDetail(LoginRequiredMixin, generic.DetailView):
    model = Author
"""


# the generic views' implicit access
def test_generic_views_read_and_write_their_model_without_a_line_of_code():
    scanner = scanner_for(LIBRARY)
    found = [(u.view, u.operation, u.model.name, u.line, u.implicit, u.generic) for u in scanner.scan()]
    model_line = line_of(scanner, "model = Book")
    assert found[:2] == [
        ("BookListView.get_queryset", "list", "Book", model_line, True, "ListView"),
        ("BookDetailView.get_object", "get_or_404", "Book", line_of(scanner, "model = Book") + 5, True, "DetailView"),
    ]
    ops = [(u.view, u.operation) for u in scanner.uses[2:]]
    assert ops == [
        ("AuthorCreate.form_valid", "form_create"),
        ("AuthorUpdate.get_object", "get_or_404"),
        ("AuthorUpdate.form_valid", "form_update"),
        ("AuthorDelete.get_object", "get_or_404"),
        ("AuthorDelete.form_valid", "delete"),
        ("AuthorDetail.get_object", "get_or_404"),
    ]


def test_the_form_of_a_create_or_update_view_comes_from_its_fields():
    uses = {u.view: u for u in scan(LIBRARY)}
    assert uses["AuthorCreate.form_valid"].form.fields == ("first_name", "last_name", "date_of_birth")
    assert uses["AuthorUpdate.form_valid"].form.fields == AUTHOR.editable  # fields = "__all__"
    assert ast.unparse(uses["AuthorUpdate.form_valid"].form_instance) == "self.object"


def test_mixins_are_recorded_on_each_use():
    uses = {u.view: u for u in scan(LIBRARY)}
    create = uses["AuthorCreate.form_valid"]
    assert create.permission_required == ("catalog.add_author",) and create.login_required
    assert uses["AuthorDetail.get_object"].login_required and not uses["AuthorDetail.get_object"].permission_required
    assert not uses["BookListView.get_queryset"].login_required
    assert uses["AuthorCreate.form_valid"].as_dict()["permission_required"] == ["catalog.add_author"]


def test_overridden_methods_replace_the_implicit_access():
    uses = scan("""
        class LoanedBooks(LoginRequiredMixin, generic.ListView):
            model = BookInstance

            def get_queryset(self):
                return BookInstance.objects.filter(borrower=self.request.user).filter(status__exact="o")


        class AuthorDelete(DeleteView):
            model = Author
            success_url = "/"

            def form_valid(self, form):
                try:
                    self.object.delete()
                except RestrictedError:
                    return self.render_to_response({})


        class WithQueryset(generic.DetailView):
            queryset = Book.objects.filter(title__startswith="A")
    """)
    found = [(u.view, u.operation, u.implicit, u.via) for u in uses]
    assert found == [
        ("LoanedBooks.get_queryset", "list", False, "manager"),
        ("AuthorDelete.get_object", "get_or_404", True, "shortcut"),
        ("AuthorDelete.form_valid", "delete", False, "instance"),
        ("WithQueryset", "list", False, "manager"),
    ]
    assert uses[2].receiver == "self.object" and uses[0].login_required


def test_super_form_valid_saves_the_form_with_what_form_valid_set():
    uses = scan("""
        class QuestionCreate(LoginRequiredMixin, CreateView):
            model = Book
            form_class = QuestionForm

            def form_valid(self, form):
                form.instance.author = self.request.user
                return super().form_valid(form)


        class BookCreate(CreateView):
            form_class = BookForm
    """)
    custom, plain = uses
    assert (custom.operation, custom.change, custom.form is QUESTION_FORM) == ("form_save", "super_form_valid", True)
    assert [ast.unparse(s) for s in custom.moved] == ["form.instance.author = self.request.user"]
    assert (plain.operation, plain.implicit, plain.model) == ("form_create", True, BOOK)  # model from the form


def test_a_local_base_class_and_function_view_decorators():
    uses = scan("""
        class Base(LoginRequiredMixin, generic.ListView):
            paginate_by = 5


        class Books(Base):
            model = Book


        @login_required
        @permission_required("catalog.can_mark_returned", raise_exception=True)
        def renew(request, pk):
            copy = get_object_or_404(BookInstance, pk=pk)
            copy.due_back = datetime.date.today()
            copy.save()
    """)
    assert [(u.view, u.operation, u.paginate_by, u.login_required) for u in uses[:1]] == [
        ("Books.get_queryset", "list", 5, True)
    ]
    assert all(u.permission_required == ("catalog.can_mark_returned",) for u in uses[1:])


# reads and writes the function views hide
def test_related_reads_model_methods_and_writes_that_follow_a_save():
    builder = build("""
        def vote(request, pk):
            book = get_object_or_404(Book, pk=pk)
            copy = book.bookinstance_set.get(pk=request.POST["copy"])
            copy.due_back = F("due_back") + 1
            copy.save()
            book.retitle()


        def edit(request, pk):
            form = BookForm(request.POST)
            book = form.save(commit=False)
            book.title = request.POST["title"]
            book.save()
            form.save_m2m()
            book.set_genres(["a"])
    """)
    assert names(builder) == [
        "get_book",
        "get_book_instance",
        "increment_book_instance_due_back",
        "retitle_book",
        "create_book",
    ]
    related = method(builder, "get_book_instance")
    assert related.body == ["return book.bookinstance_set.get(pk=copy)"] and related.returns == "BookInstance"
    create = method(builder, "create_book")
    assert create.body == [
        "with transaction.atomic():",
        "    book.title = title",
        "    book.save()",
        "    book.genre.set(genre)",
        "    book.set_genres(['a'])",
        "return book",
    ]
    assert [p.name for p in create.params] == ["book", "title", "genre"]
    assert method(builder, "retitle_book").body == ["book.retitle()"]  # one write: no transaction


# the service
def test_methods_are_named_in_the_domain_not_after_the_view():
    builder = build(
        LIBRARY
        + """

def index(request):
    a = Book.objects.all().count()
    b = BookInstance.objects.filter(status__exact="a").count()
    c = Book.objects.filter(title__icontains="the").exists()
    d = BookInstance.objects.filter(on_hold=True).filter(due_back__lt=datetime.date.today()).count()


class LoanedBooks(LoginRequiredMixin, generic.ListView):
    def get_queryset(self):
        return BookInstance.objects.filter(borrower=self.request.user).filter(status__exact="o").order_by("due_back")
"""
    )
    assert names(builder) == [
        "list_books",
        "get_book",
        "create_author",
        "get_author",  # AuthorUpdate, AuthorDelete and AuthorDetail share it
        "update_author",
        "delete_author",
        "count_books",
        "count_book_instances_with_status_available",
        "has_books_with_title_containing_the",
        "count_on_hold_book_instances_with_due_back_before_today",
        "list_book_instances_for_borrower_with_status_on_loan",
    ]
    shared = method(builder, "get_author")
    assert sorted(u.view for u in shared.uses) == [
        "AuthorDelete.get_object",
        "AuthorDetail.get_object",
        "AuthorUpdate.get_object",
    ]
    loaned = method(builder, "list_book_instances_for_borrower_with_status_on_loan")
    assert [(p.name, p.source) for p in loaned.params] == [("borrower", "self.request.user")]
    assert loaned.returns == "QuerySet[BookInstance]"


def test_typed_results_and_transactions_only_around_several_writes():
    builder = build(LIBRARY)
    assert method(builder, "list_books").body == ["return Book.objects.all()"]
    assert method(builder, "list_books").returns == "QuerySet[Book]"  # the view paginates the queryset
    assert "paginate_by = 10" in method(builder, "list_books").describe()
    get = method(builder, "get_book")
    assert get.returns == "Book" and [(p.name, p.source) for p in get.params] == [
        ("pk", "self.kwargs[self.pk_url_kwarg]")
    ]
    assert get.body[-1] == "    raise NotFound('No book matches the given query.') from None"
    assert method(builder, "delete_author").body == ["author.delete()"]
    create = method(builder, "create_author")
    assert "transaction" not in "\n".join(create.body)  # one write
    assert create.body[-2:] == ["author = Author.objects.create(**fields)", "return author"]
    assert all("transaction" not in line for m in builder.methods for line in m.body)


def test_a_model_form_with_its_own_save_is_saved_whole_in_a_transaction():
    builder = build("""
        class QuestionCreate(LoginRequiredMixin, CreateView):
            form_class = QuestionForm

            def form_valid(self, form):
                form.instance.author = self.request.user
                return super().form_valid(form)


        class BookCreate(CreateView):
            form_class = BookForm
    """)
    custom = method(builder, "create_book")
    assert [(p.name, p.annotation) for p in custom.params] == [("form", "QuestionForm"), ("author", None)]
    assert custom.body == [
        "with transaction.atomic():",
        "    form.instance.author = author",
        "    return form.save()",
    ]
    plain = builder.methods[1]  # the same name for another query: a numbered one
    assert plain.name == "create_book_2"
    assert plain.body == [
        "names = ('title', 'genre')",
        "fields = {name: data[name] for name in names if name in data}",
        "genre = fields.pop('genre', None)",
        "with transaction.atomic():",  # the row and its many-to-many: two writes
        "    book = Book.objects.create(**fields)",
        "    if genre is not None:",
        "        book.genre.set(genre)",
        "return book",
    ]


# the views' side
def test_view_changes_of_generic_views_add_the_method_that_calls_the_service():
    builder = build(LIBRARY)
    changes = {c.view: c for c in builder.changes}
    listing = changes["BookListView.get_queryset"]
    class_end = line_of(builder.scanners["catalog/views.py"], "paginate_by = 10")
    assert (listing.line, listing.end_line, listing.before) == (class_end + 1, class_end, "")  # an insertion
    assert listing.after.split("\n") == [
        "",
        "    @inject",
        '    def get_queryset(self, catalog_service=Provide["catalog.catalog_service"]):',
        "        return catalog_service.list_books()",
    ]
    assert ("dependency_injector.wiring", "inject") in listing.imports and listing.inject == ""
    detail = changes["BookDetailView.get_object"]
    assert "return catalog_service.get_book(pk=self.kwargs[self.pk_url_kwarg])" in detail.after
    assert "except NotFound:" in detail.after and "raise Http404 from None" in detail.after
    assert {("django.http", "Http404"), ("services.errors", "NotFound")} <= set(detail.imports)
    update = changes["AuthorUpdate.form_valid"]
    assert "self.object = catalog_service.update_author(data=form.cleaned_data, author=self.object)" in update.after
    assert ("django.http", "HttpResponseRedirect") in update.imports
    assert update.keeps == "login, permission catalog.change_author"
    delete = changes["AuthorDelete.form_valid"]
    assert delete.after.split("\n")[-3:] == [
        "        success_url = self.get_success_url()",
        "        catalog_service.delete_author(author=self.object)",
        "        return HttpResponseRedirect(success_url)",
    ]


def test_view_changes_of_function_views_name_their_imports_and_the_function_to_inject():
    builder = build("""
        def renew(request, pk):
            copy = get_object_or_404(BookInstance, pk=pk)
            copy.due_back = request.POST["due_back"]
            copy.save()
    """)
    get, save = builder.changes
    assert get.after.split("\n") == [
        "    try:",
        "        copy = catalog_service.get_book_instance(pk=pk)",
        "    except NotFound:",
        "        raise Http404 from None",
    ]
    assert set(get.imports) == {("django.http", "Http404"), ("services.errors", "NotFound")}
    assert get.inject == "renew" and save.inject == "renew" and save.imports == []
    assert save.before.split("\n") == ['    copy.due_back = request.POST["due_back"]', "    copy.save()"]
    assert (
        save.after
        == '    copy = catalog_service.update_book_instance_due_back(copy=copy, due_back=request.POST["due_back"])'
    )


def test_super_form_valid_becomes_the_service_call_and_the_redirect():
    builder = build("""
        class QuestionCreate(LoginRequiredMixin, CreateView):
            form_class = QuestionForm

            def form_valid(self, form):
                form.instance.author = self.request.user
                return super().form_valid(form)
    """)
    (change,) = builder.changes
    assert change.before.split("\n") == [
        "        form.instance.author = self.request.user",
        "        return super().form_valid(form)",
    ]
    assert change.after.split("\n") == [
        "        self.object = catalog_service.create_book(form=form, author=self.request.user)",
        "        return HttpResponseRedirect(self.get_success_url())",
    ]
    assert change.inject == "QuestionCreate.form_valid"


# naming on its own
def test_query_names():
    namer = QueryNamer(BY_LABEL.get)

    def name(code: str, operation: str = "list", model=COPY) -> str:
        return namer.name(operation, model, ast.parse(code, mode="eval").body)[0]

    assert (
        name('BookInstance.objects.filter(status__in=["a", "o"])')
        == "list_book_instances_with_status_available_or_on_loan"
    )
    assert name("BookInstance.objects.filter(due_back__isnull=True)") == "list_book_instances_without_due_back"
    assert name("BookInstance.objects.exclude(on_hold=True)") == "list_book_instances_not_on_hold"
    assert name("BookInstance.objects.filter(book__title=t)") == "list_book_instances_by_book_title"
    assert name("BookInstance.objects.filter(x)[:3]") == "list_latest_book_instances_matching"  # -due_back first
    assert name("Book.objects.public().for_user(u)", model=BOOK) == "list_public_books_for_user"
    assert name("Book.published_books.all()", model=BOOK) == "list_published_books"
    assert name("Book.objects.filter(pk=pk)", "get", BOOK) == "get_book"
    assert name("Book.objects.filter(pk=pk).update(on_sale=True)", "update", BOOK) == "mark_books_as_on_sale"
    votes = ast.parse('F("votes") + 1', mode="eval").body
    assert save_name("choice", new_instance=False, assigned=[("votes", votes, None)]) == "increment_choice_votes"
    assert save_name("product", new_instance=False, assigned=[("stock", votes, ast.Sub())]) == "decrement_product_stock"
    assert save_name("copy", new_instance=False, assigned=[("due_back", votes.right, None)]) == "update_copy_due_back"
    assert save_name("order", new_instance=True, assigned=[]) == "create_order"
    assert method_name("mark_as_read", "notification") == "mark_notification_as_read"


# rules
FORMS = """
import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Book, Choice


class RenewBookForm(forms.Form):
    renewal_date = forms.DateField()

    def clean_renewal_date(self):
        data = self.cleaned_data["renewal_date"]
        if data < datetime.date.today():
            raise ValidationError(_("Invalid date - renewal in past"))
        if data > datetime.date.today() + datetime.timedelta(weeks=4):
            raise ValidationError(_("Invalid date - renewal more than 4 weeks ahead"))
        return data


class QuestionForm(forms.ModelForm):
    def clean_title(self):
        if Book.objects.filter(title=self.cleaned_data["title"]).exists():
            raise forms.ValidationError("Taken.")
        return self.cleaned_data["title"]

    def save(self, commit=True):
        question = super().save(commit=commit)
        Choice.objects.bulk_create([])
        return question
"""


def test_rules_in_forms_are_flagged_with_their_place():
    found = rules_of_source(FORMS, "catalog/forms.py")
    lines = FORMS.splitlines()
    renew = [r for r in found if r.where == "RenewBookForm.clean_renewal_date"]
    assert [(r.line, r.kind) for r in renew] == [
        (lines.index("        if data < datetime.date.today():") + 1, "rule"),
        (lines.index("        if data > datetime.date.today() + datetime.timedelta(weeks=4):") + 1, "rule"),
    ]
    assert renew[1].text.startswith("Invalid date - renewal more than 4 weeks ahead (when data > datetime.date")
    taken = next(r for r in found if r.where == "QuestionForm.clean_title")
    assert "queries the database" in taken.text
    save = next(r for r in found if r.where == "QuestionForm.save")
    assert save.kind == "form" and "Choice.objects.bulk_create" in save.text
    line = rules_text([renew[1]])[0]
    assert line.startswith(
        f"  rule      catalog/forms.py:{renew[1].line} RenewBookForm.clean_renewal_date: Invalid date"
    )


def test_signals_models_and_context_processors():
    signals = rules_of_source(
        """
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Bookmark, Profile


@receiver(post_save, sender=Bookmark)
def count(sender, instance, created, **kwargs):
    if created:
        Profile.objects.filter(user_id=instance.user_id).update(n=1)


class BookmarksConfig:
    def ready(self):
        from . import signals  # noqa: F401
        post_save.connect(count, sender="auth.User")
""",
        "bookmarks/signals.py",
    )
    assert [(r.kind, r.where, r.line) for r in signals] == [
        ("signal", "count", 9),
        ("signal", "BookmarksConfig.ready", 16),
        ("signal", "BookmarksConfig.ready", 17),
    ]
    assert "receiver of post_save (sender Bookmark): writes Profile…update" in signals[0].text
    assert signals[1].text.startswith("imports .signals") and signals[2].text.startswith("connects count to post_save")
    processors = rules_of_source(
        "def unread(request):\n    return {'n': request.user.notifications.filter(unread=True).count()}\n",
        "notifications/context_processors.py",
    )
    assert [(r.kind, r.where) for r in processors] == [("context", "unread")]
    model = rules_of_source(
        "from django.db import models\n\nclass N(models.Model):\n    def mark(self):\n        self.save()\n",
        "notifications/models.py",
    )
    assert [(r.kind, r.where, r.text) for r in model] == [("model", "N.mark", "writes self.save; the service calls it")]


def test_rules_in_views_access_and_conditions_before_the_work():
    scanner = scanner_for("""
        class AuthorDelete(PermissionRequiredMixin, DeleteView):
            model = Author
            permission_required = "catalog.delete_author"

            def form_valid(self, form):
                try:
                    self.object.delete()
                except RestrictedError:
                    return self.render_to_response({"error": "This author cannot be deleted while they have books."})


        @login_required
        def renew(request, pk):
            copy = get_object_or_404(BookInstance, pk=pk)
            if request.method == "POST":
                pass
            if copy.borrower != request.user:
                raise PermissionDenied("Not yours.")
            copy.save()
    """)
    scanner.scan()
    found = [(r.kind, r.where, r.text) for r in view_rules(scanner)]
    assert found == [
        ("access", "AuthorDelete", "login required, permission catalog.delete_author: stays in the view"),
        (
            "rule",
            "AuthorDelete.form_valid",
            "RestrictedError from delete Author is answered in the view "
            "(This author cannot be deleted while they have books.)",
        ),
        ("access", "renew", "login required: stays in the view"),
        ("rule", "renew", "checks copy.borrower != request.user before the work (Not yours.): stays in the view"),
    ]
    assert isinstance(view_rules(scanner)[0], Rule) and view_rules(scanner)[0].as_dict()["kind"] == "access"


def test_super_calls_in_overriding_methods_are_the_generic_access_written_out():
    builder = build("""
        class Loaned(generic.ListView):
            model = BookInstance

            def get_queryset(self):
                return super().get_queryset().filter(borrower=self.request.user)


        class Mine(generic.DetailView):
            model = Book
            slug_field = "title"

            def get_object(self, queryset=None):
                book = super().get_object()
                if book.author != self.request.user:
                    raise PermissionDenied("Not yours.")
                return book


        class Sorted(generic.ListView):
            model = Book
            ordering = ["-title"]
    """)
    listing, get, ordered = builder.methods
    assert (listing.name, listing.body) == (
        "list_book_instances_for_borrower",
        ["return BookInstance.objects.all().filter(borrower=borrower)"],
    )
    assert get.name == "get_book_by_title" and "return Book.objects.get(title=title)" in get.body[1]
    assert (ordered.name, ordered.body) == ("list_books", ["return Book.objects.all().order_by('-title')"])
    changes = {c.view: c for c in builder.changes}
    assert changes["Loaned.get_queryset"].after == (
        "        return catalog_service.list_book_instances_for_borrower(borrower=self.request.user)"
    )
    assert changes["Mine.get_object"].after.split("\n")[:2] == [
        "        try:",
        "            book = catalog_service.get_book_by_title(title=self.kwargs[self.slug_url_kwarg])",
    ]
    scanner = builder.scanners["catalog/views.py"]
    assert [r.text for r in view_rules(scanner) if r.kind == "rule"] == [
        "checks book.author != self.request.user before the work (Not yours.): stays in the view"
    ]


def test_a_slug_detail_view_reads_by_its_slug_field():
    builder = build("""
        class BySlug(generic.DetailView):
            model = Book
            slug_field = "title"
    """)
    (get,) = builder.methods
    assert get.name == "get_book_by_title"
    assert [(p.name, p.source) for p in get.params] == [("title", "self.kwargs[self.slug_url_kwarg]")]


def test_self_object_passes_whole_into_context_queries_and_saves():
    builder = build("""
        class AuthorDetail(generic.DetailView):
            model = Author

            def get_context_data(self, **kwargs):
                context = super().get_context_data(**kwargs)
                context["books"] = Book.objects.filter(author=self.object)
                context["n"] = self.object.book_set.count()
                return context


        class Edit(UpdateView):
            model = Book
            form_class = BookForm

            def form_valid(self, form):
                self.object = form.save(commit=False)
                self.object.title = self.object.title.strip()
                self.object.save()
                form.save_m2m()
                return HttpResponseRedirect(self.get_success_url())
    """)
    found = {m.name: ([(p.name, p.source) for p in m.params], m.body) for m in builder.methods}
    assert found["list_books_for_author"] == (
        [("author", "self.object")],
        ["return Book.objects.filter(author=author)"],
    )
    assert found["count_author_books"] == ([("author", "self.object")], ["return author.book_set.count()"])
    assert found["update_book_title"] == (  # an update view's form edits its object: no creation
        [("book", "self.object"), ("genre", 'form.cleaned_data["genre"]')],
        [
            "with transaction.atomic():",
            "    book.title = book.title.strip()",
            "    book.save()",
            "    book.genre.set(genre)",
            "return book",
        ],
    )
    edit = next(c for c in builder.changes if c.view == "Edit.form_valid")
    assert edit.before.split("\n")[-1] == "        form.save_m2m()" and edit.inject == "Edit.form_valid"
