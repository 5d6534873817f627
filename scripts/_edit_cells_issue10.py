"""One-off: move the exercise cells to check.run / check.expect (issue 10). Keeps ids, tags, metadata, outputs."""
import sys
import nbformat

E = {}  # (notebook, cell id) -> new source, or a list of (old, new) replacements
def R(nb, cid, *pairs): E[(nb, cid)] = list(pairs)

N0 = "notebooks/00_start_here.ipynb"
for cid in ("d8e92198", "90c25954"):
    R(N0, cid, ('rec = await check.attempt("get ready", get_ready())\nnb00.first_await(rec)',
                'run = await check.run(get_ready(), time_limit=2)\ncheck.expect(run, nb00.GET_READY)'))
R(N0, "b3f89525", ('rec = await check.attempt("my breakfast", tea_then_toast())\nnb00.two_waits_together(rec)',
                   'run = await check.run(tea_then_toast(), time_limit=3)\ncheck.expect(run, nb00.TEA_AND_TOAST)'))
R(N0, "919bec02", ('rec = await check.attempt("my breakfast", tea_then_toast())\nnb00.two_waits_together(rec)\nshow(rec)',
                   'run = await check.run(tea_then_toast(), time_limit=3)\ncheck.expect(run, nb00.TEA_AND_TOAST)\nrun.show()'))
MD0 = [("`check.attempt` runs your coroutine and records it, like `measure`, but never stops with an\nerror: the check explains what went wrong instead.",
        "`check.run` runs your coroutine and records it, like `measure`, but never stops with an\nerror and never hangs (it has a time limit); `check.expect` then compares what happened\nwith the exercise's rules and explains the first one broken.")]

N1 = "notebooks/01_what_is_async.ipynb"
R(N1, "745a0ee4", ('mine = await check.attempt("my breakfast", breakfast())\nnb01.breakfast_concurrent(mine)',
                   'run = await check.run(breakfast(), time_limit=5)\ncheck.expect(run, nb01.BREAKFAST)'))
R(N1, "9b802e79", ('mine = await check.attempt("my breakfast", breakfast())\nnb01.breakfast_concurrent(mine)\nshow(mine)',
                   'run = await check.run(breakfast(), time_limit=5)\ncheck.expect(run, nb01.BREAKFAST)\nrun.show()'))
R(N1, "ce12a487", ('quick = await check.attempt("quick breakfast", quick_breakfast())\nnb01.breakfast_concurrent(quick)\nshow(quick)',
                   'run = await check.run(quick_breakfast(), time_limit=5)\ncheck.expect(run, nb01.BREAKFAST)\nrun.show()'))
R(N1, "e8a696e9", ('quick = await check.attempt("quick breakfast", quick_breakfast())\nnb01.breakfast_concurrent(quick)',
                   'run = await check.run(quick_breakfast(), time_limit=5)\ncheck.expect(run, nb01.BREAKFAST)'))

N2 = "notebooks/02_async_keyword.ipynb"
R(N2, "b2810191", ("nb02.check_double(double, answer)", "await nb02.check_double(double, answer)"))
R(N2, "58e8d030", ("nb02.check_double(double, answer)", "await nb02.check_double(double, answer)"))
for cid in ("68fd5e8d", "b5c1cb54"):
    R(N2, cid, ('stock = await in_stock("tea")\nprint("tea in stock:", stock)\nnb02.check_stock(stock)',
                'run = await check.run(in_stock("tea"), time_limit=2)\ncheck.expect(run, nb02.STOCK)'))

N3 = "notebooks/03_await_keyword.ipynb"
R(N3, "2d886de9", ("rec = ...                  # 2. measure make_breakfast()\nnb03.check_breakfast(predicted_seconds, rec)",
                   "run = ...                  # 2. run it: await check.run(make_breakfast(), time_limit=3)\nnb03.check_breakfast(predicted_seconds, run)"))
R(N3, "f0ab8a7c", ('rec = await measure("breakfast", make_breakfast())\nnb03.check_breakfast(predicted_seconds, rec)\nshow(rec)',
                   'run = await check.run(make_breakfast(), time_limit=3)\nnb03.check_breakfast(predicted_seconds, run)\nrun.show()'))
R(N3, "0a1b79f4", ('rec_fast = await measure("breakfast with tasks", make_breakfast_fast())\ncheck.overlapped(rec_fast, at_least=3, expected_result=["toast", "eggs", "coffee"])',
                   'run = await check.run(make_breakfast_fast(), time_limit=3)\ncheck.expect(run, nb03.FAST)'))
R(N3, "90dd5f97", ('rec_fast = await measure("breakfast with tasks", make_breakfast_fast())\ncheck.overlapped(rec_fast, at_least=3, expected_result=["toast", "eggs", "coffee"])\nshow(await measure("breakfast, one after another", make_breakfast()), rec_fast)',
                   'run = await check.run(make_breakfast_fast(), time_limit=3)\ncheck.expect(run, nb03.FAST)\nshow(await measure("breakfast, one after another", make_breakfast()), run.rec)'))

N4 = "notebooks/04_running_many_tasks.ipynb"
R(N4, "c02", ("from asynclab.timeline import seconds\n\nclock = nb04.Stopwatch()", "from asynclab.timeline import seconds\nfrom asynclab.workloads import Stopwatch\n\nclock = Stopwatch()"))
R(N4, "c39", ("nb04.panels(gather_run, taskgroup_run)", "show(gather_run, taskgroup_run, compare=False)"))
R(N4, "c50", ("nb04.panels(batch)", "show(batch, compare=False)"))
for cid in ("c58", "c61"):
    R(N4, cid, ('await nb04.check_downloads(download_all(PARTS), expected=[f"{name}: done" for name in PARTS], at_least=5)',
                'run = await check.run(download_all(PARTS), time_limit=3)\ncheck.expect(run, nb04.DOWNLOADS, result=[f"{name}: done" for name in PARTS])'))
for cid in ("c64", "c67"):
    R(N4, cid, ('await nb04.check_no_lost_tasks(notify_all(USERS), expected=[f"sent to {user}" for user in USERS], at_least=4)',
                'run = await check.run(notify_all(USERS), time_limit=3)\ncheck.expect(run, nb04.NO_LOST_TASKS, result=[f"sent to {user}" for user in USERS])'))
for cid in ("c70", "c73"):
    R(N4, cid, ('await nb04.check_failure_isolated(fetch_all(PAGES), expected=["<h1>home</h1>", "<h1>about</h1>", None, "<h1>blog</h1>"])',
                'run = await check.run(fetch_all(PAGES), time_limit=4)\ncheck.expect(run, nb04.FAILURE_ISOLATED, result=["<h1>home</h1>", "<h1>about</h1>", None, "<h1>blog</h1>"])'))
for cid in ("c75", "c78"):
    R(N4, cid, ('await nb04.check_timeout_keeps_fast(fetch_with_deadline(SLOW_PAGES), expected=["<h1>home</h1>", None, "<h1>blog</h1>"])',
                'run = await check.run(fetch_with_deadline(SLOW_PAGES), time_limit=5)\ncheck.expect(run, nb04.DEADLINE, result=["<h1>home</h1>", None, "<h1>blog</h1>"])'))

N5 = "notebooks/05_event_loop.ipynb"
R(N5, "c071", ('rec = await measure("crawl", crawl())\nshow(rec)\nnb05.check_crawl(rec)',
               'run = await check.run(crawl(), time_limit=5)\nrun.show()\ncheck.expect(run, nb05.CRAWL)'))
R(N5, "c074", ('rec = await measure("crawl, fixed", crawl())\nshow(rec)\nnb05.check_crawl(rec)',
               'run = await check.run(crawl(), time_limit=5)\nrun.show()\ncheck.expect(run, nb05.CRAWL)'))

N6 = "notebooks/06_returning_values.ipynb"
for cid in ("06-7ecd47ad", "06-a836d9aa"):
    R(N6, cid, ("await nb06.check_in_order(all_prices(ITEMS), expected=[PRICE[item] for item in ITEMS])",
                "run = await check.run(all_prices(ITEMS), time_limit=5)\ncheck.expect(run, nb06.in_order([PRICE[item] for item in ITEMS]))"))
for cid in ("06-a4a39812", "06-702277c6"):
    R(N6, cid, ("await nb06.check_sizes(sizes_of(PAGES), expected=SIZE)",
                "run = await check.run(sizes_of(PAGES), time_limit=3)\ncheck.expect(run, nb06.sizes(SIZE))"))
for cid in ("06-abfb3a66", "06-2c9d315b"):
    R(N6, cid, ('await nb06.check_split(survey(HOSTS),\n                       expected_up={h: f"pong from {h}" for h in ["alpha", "charlie", "echo"]},\n                       expected_down={"bravo": "ConnectionError", "delta": "TimeoutError"})',
                'run = await check.run(survey(HOSTS), time_limit=5)\ncheck.expect(run, nb06.split({h: f"pong from {h}" for h in ["alpha", "charlie", "echo"]},\n                             {"bravo": "ConnectionError", "delta": "TimeoutError"}))'))

N7 = "notebooks/07_real_world_downloads.ipynb"
R(N7, "4ec3a578", ('rec = await measure("secretly sequential?", download_all([f.name for f in six]))\nshow(rec)\nnb07.check_really_concurrent(rec, six)',
                   'run = await check.run(download_all([f.name for f in six]), time_limit=10)\nrun.show()\nnb07.check_really_concurrent(run, six)'))
R(N7, "aa93b31e", ('rec = await measure("fixed with to_thread", download_all([f.name for f in six]))\nshow(rec)\nnb07.check_really_concurrent(rec, six)',
                   'run = await check.run(download_all([f.name for f in six]), time_limit=10)\nrun.show()\nnb07.check_really_concurrent(run, six)'))

N9 = "notebooks/09_best_practices.ipynb"
for cid in ("c019", "c022"):
    R(N9, cid, ('    rec = await nb09.measure_safely("exercise 1", download_all())\nnb09.check_unblocked(rec, expected=[f.size for f in server.files])',
                '    run = await check.run(download_all(), time_limit=10)\ncheck.expect(run, nb09.UNBLOCKED, result=[f.size for f in server.files])'))
for cid in ("c036", "c039"):
    R(N9, cid, ('rec = await nb09.measure_safely("exercise 2", handle_order(["tea", "cake", "jam"]))\nnb09.check_nothing_lost(rec, saved, ["tea", "cake", "jam"])',
                'run = await check.run(handle_order(["tea", "cake", "jam"]), time_limit=3)\ncheck.expect(run, nb09.nothing_lost(saved, ["tea", "cake", "jam"]))'))
R(N9, "c062", ('show(nb09.first_lanes(flood, 12, "fetch("), nb09.first_lanes(capped, 12, "fetch("), compare=False)',
               'def first_12(rec):\n    return rec.subset([lane for lane in rec.lanes if lane.startswith("fetch(")][:12])\n\nshow(first_12(flood), first_12(capped), compare=False)'))
for cid in ("c065", "c068"):
    R(N9, cid, ('async with LocalServer(files=40, size=1000, latency=0.05, name="nb09") as server:\n    outcome = await nb09.try_download(fetch_all, [f.url for f in server.files], limit=5)\n    stats = await asyncio.to_thread(server.stats)\nnb09.check_capped(outcome, stats, limit=5, n=40)',
                'await nb09.check_capped(fetch_all)   # runs it on 40 files with limit=5, then limit=3'))
R(N9, "c083", ("from asynclab.exercises.nb09 import count_primes", "from asynclab.workloads import count_primes"))
MD9 = [("(`nb09.measure_safely` is `measure` that turns an error in your code into a plain-words message instead of a traceback.)",
        "(`check.run` is `measure` with a time limit, which turns an error in your code into a plain-words message instead of a traceback.)"),
       ("so `nb09.first_lanes` keeps the first 12 `fetch` lanes of each run", "so `first_12` keeps the first 12 `fetch` lanes of each run (`Recording.subset`)")]

N10 = "notebooks/10_conclusion.ipynb"
for cid in ("10-f1d45bdb", "10-9ee0a3e9"):
    R(N10, cid, ('    run = await nb10.run_crawler(crawl(server.url + "/site/index.html"))', '    run = await check.run(crawl(server.url + "/site/index.html"), time_limit=20)'),
                ("if verdict:\n    show(run.recording)", "if verdict:\n    run.show()"))
MD10 = [("`nb10.run_crawler` runs `crawl(...)` under `measure()`, like\nevery timeline in the course, and notes each request the session makes;",
         "`check.run` runs `crawl(...)` under `measure()`, like\nevery timeline in the course, with a time limit, and notes each request the session makes;")]

MD = {N0: MD0, N9: MD9, N10: MD10}
for path in sorted({k[0] for k in E} | set(MD)):
    nb = nbformat.read(path, as_version=4)
    ids = {c.get("id"): c for c in nb.cells}
    for (p, cid), pairs in E.items():
        if p != path:
            continue
        cell = ids[cid]
        for old, new in pairs:
            if old not in cell.source:
                sys.exit(f"{path} {cid}: not found: {old[:60]!r}")
            cell.source = cell.source.replace(old, new)
    for old, new in MD.get(path, []):
        hits = [c for c in nb.cells if c.cell_type == "markdown" and old in c.source]
        if len(hits) != 1:
            sys.exit(f"{path}: markdown {old[:50]!r} found {len(hits)} times")
        hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nb, path)
    print("edited", path)
