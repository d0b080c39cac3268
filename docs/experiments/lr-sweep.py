# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 学習率と最適化手法
#
# [本サイトの第7章](../../07-optimizer-comparison/) では、5 つの手法を **手法ごとに選んだ 1 つの学習率** で並べ、
# 「順位は学習率の選び方で変わる」と書きました。このページでは、それを学習率を少しずつ変えながら確かめます。
# 関数は本サイトの第7章と同じ
#
# $$f(x, y) = \frac{1}{20} x^2 + y^2$$
#
# です。$(-7, 2)$ から 30 ステップ更新したあとの **最小値 $(0, 0)$ までの距離** を、学習率を $10^{-3}$ から $10$ まで
# 対数目盛りで 25 通りに変えて、SGD・Momentum・AdaGrad・RMSprop・Adam について測ります。
#
# このページは Jupyter ノートブックとして書かれていて、サイトを作るときに実行されます。
# 上のボタンからダウンロードして、学習率の範囲やステップを変えて試してみてください。

# %%
import matplotlib.pyplot as plt
import matplotlib_fontja  # a Japanese font for the figure's labels
import numpy as np
from zerodl.gradient import numerical_gradient
from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, RMSprop

matplotlib_fontja.japanize()

START = (-7.0, 2.0)
STEPS = 30


def f(x, y):
    return x**2 / 20 + y**2


def grad_f(x, y):
    """Analytic gradient of f: (x / 10, 2y)."""
    return x / 10, 2 * y


# The analytic gradient agrees with the numerical one of chapter 1.
point = np.array(START)
assert np.allclose(numerical_gradient(lambda p: f(p[0], p[1]), point), grad_f(*point))

# %% [markdown]
# 1 回の実験は、書籍の `ch06/optimizer_compare_naive.py` と同じ形です。パラメータと勾配を `'x'`・`'y'` をキーにした辞書で持ち、
# `optimizer.update(params, grads)` で更新します。学習率以外の引数は既定値のままです
# （Momentum は $\alpha = 0.9$、RMSprop は $\rho = 0.99$、Adam は $\beta_1 = 0.9$, $\beta_2 = 0.999$）。

# %%
OPTIMIZERS = {"SGD": SGD, "Momentum": Momentum, "AdaGrad": AdaGrad, "RMSprop": RMSprop, "Adam": Adam}
CHAPTER_7_LR = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "RMSprop": 0.1, "Adam": 0.3}


def final_distance(name, lr, steps=STEPS):
    """Distance from the minimum (0, 0) after ``steps`` updates from START."""
    params = {"x": np.array(START[0]), "y": np.array(START[1])}
    optimizer = OPTIMIZERS[name](lr=lr)
    for _ in range(steps):
        gx, gy = grad_f(params["x"], params["y"])
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})
    return float(np.hypot(params["x"], params["y"]))


learning_rates = np.logspace(-3, 1, 25)  # 1e-3 ... 10, six points per decade
distances = {name: np.array([final_distance(name, lr) for lr in learning_rates]) for name in OPTIMIZERS}
start_distance = float(np.hypot(*START))
print(f"出発点から最小値までの距離: {start_distance:.3f}")

# %% [markdown]
# 横軸が学習率、縦軸が 30 ステップ更新したあとの最小値までの距離です（どちらも対数目盛り）。
# 点線より上は、出発点より遠くへ行ってしまった（発散した）ことを表します。図の上端を超えた値は上端に描きました。
# ★ は本サイトの第7章で使った学習率です。

# %%
CEILING = 1e3
fig, ax = plt.subplots(figsize=(4.6, 5.4), layout="constrained")  # narrower: its 10⁻ⁿ labels stay readable on a phone
for name, d in distances.items():
    line, = ax.plot(learning_rates, np.minimum(d, CEILING), "o-", markersize=3, label=name)
    lr = CHAPTER_7_LR[name]
    ax.plot(lr, final_distance(name, lr), "*", markersize=13, color=line.get_color(), markeredgecolor="k")
ax.axhline(start_distance, color="0.4", linestyle=":", label="出発点の距離")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_ylim(top=CEILING * 2)
ax.set_xlabel("学習率 η")
ax.set_ylabel("30 ステップ後の最小値までの距離")
ax.set_title("学習率と 30 ステップ更新後の\n最小値までの距離（(−7, 2) から）")
fig.legend(loc="outside lower center", ncols=2, fontsize="small")
fig.set_label("学習率 0.001〜10 の 25 通りについて、(−7, 2) から 30 ステップ更新したあとの最小値までの距離を、"
              f"{'、'.join(distances)} で両対数目盛に描いた図。点線は出発点の距離、★ は本サイトの第7章の学習率。"
              "どの手法にも距離が小さくなる学習率の範囲があり、大きすぎると点線より上（発散）になる。")
plt.show()

# %% [markdown]
# どの手法にも、うまく働く学習率の範囲があります。小さすぎると 30 ステップではほとんど進まず、大きすぎると発散するか、
# 最小値のまわりで振動して止まりません。25 通りの学習率のうち、距離が出発点の 1/10 未満になったものを数えます。

# %%
for name, d in distances.items():
    best = int(np.argmin(d))
    good = int(np.sum(d < 0.1 * start_distance))
    print(f"{name:<8}  最良の η = {learning_rates[best]:<6.3g} 距離 = {d[best]:<8.2g} うまく働いた η: {good:>2} / {len(d)} 通り")

# The step of AdaGrad and RMSprop is divided by the size of the gradient: even η = 10 does not diverge.
assert max(distances["AdaGrad"][-1], distances["RMSprop"][-1]) < start_distance < distances["SGD"][-1]

# %% [markdown]
# AdaGrad と RMSprop は、いちばん大きな学習率 10 でも発散していません。歩幅を勾配の大きさ（の平均）で割るので、
# 勾配がどれだけ大きくなっても 1 歩の大きさに上限があるからです。AdaGrad は $h \ge g^2$ なので 1 歩が $\eta$ を超えず、
# RMSprop は $h \ge (1 - \rho) g^2$ なので $\eta / \sqrt{1 - \rho} = 10\eta$ を超えません（1 ステップ目がちょうど $10\eta$ です）。
# SGD と Momentum の歩幅は勾配に比例するので、学習率が大きすぎると、1 歩ごとに遠くへ飛んで発散します。

# %%
def largest_step(name, lr, steps=STEPS):
    """The largest |change| of one coordinate in one update, divided by lr."""
    params = {"x": np.array(START[0]), "y": np.array(START[1])}
    optimizer, largest = OPTIMIZERS[name](lr=lr), 0.0
    for _ in range(steps):
        before = np.array([params["x"], params["y"]])
        gx, gy = grad_f(params["x"], params["y"])
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})
        largest = max(largest, float(np.abs(np.array([params["x"], params["y"]]) - before).max()) / lr)
    return largest


for name in ("AdaGrad", "RMSprop"):
    steps = [largest_step(name, lr) for lr in learning_rates]
    print(f"{name:<8} 1 歩の最大 / η: {max(steps):.3f}（25 通りの学習率のうち最大）")
    assert max(steps) <= (1.0 if name == "AdaGrad" else 10.0) * (1 + 1e-9)
assert np.isclose(largest_step("RMSprop", 0.1), 10.0)  # the first step of RMSprop

# %% [markdown]
# ## 学習率ごとの順位
#
# 同じ学習率で 5 つを並べると、どの学習率を選ぶかで順位が入れ替わります。最小値に近い順に並べます（括弧内は距離）。

# %%
def ranking(lr):
    return sorted(OPTIMIZERS, key=lambda name: final_distance(name, lr))


for lr in (0.01, 0.1, 1.0):
    print(f"η = {lr:<4}: " + " < ".join(f"{name} ({final_distance(name, lr):.2g})" for name in ranking(lr)))

assert ranking(0.01)[0] != ranking(1.0)[0], "the winner depends on the learning rate"
assert ranking(0.1)[-1] == "AdaGrad" and ranking(1.0).index("AdaGrad") < ranking(1.0).index("SGD")
# SGD with η = 1: x shrinks by (1 - η/10) per step, y flips sign, (1 - 2η) = -1 (chapter 1, exercise 2).
assert np.isclose(final_distance("SGD", 1.0), np.hypot(7 * 0.9**30, 2))

# %% [markdown]
# たとえば AdaGrad は、学習率 0.1 では最下位ですが、1.0 では SGD を追い越します。
# AdaGrad の歩幅は $\eta / \sqrt{h}$ で、勾配の 2 乗を足し続ける $h$ とともに小さくなっていくので、
# 小さな $\eta$ では 30 回のうちに遠くまで進めません。
# 一方 SGD は $\eta = 1$ で $y$ が毎回 $(1 - 2\eta) = -1$ 倍され、$\pm 2$ を行き来して止まりません（本サイトの第1章の演習 2）。
#
# ## まとめ
#
# - 「どの手法がいちばん速いか」は、どの学習率で比べるかによって入れ替わります。
#   手法を比べるときは、それぞれの学習率を調整してから比べる必要があります。
# - 手法ごとに、うまく働く学習率の範囲の位置も幅も違います。ある手法の学習率を、そのまま別の手法に使うことはできません。
# - ここで使ったのは 2 変数の単純な関数です。ニューラルネットワークの学習でも学習率しだいで結論が変わることは、
#   本サイトの第7章の MNIST の実験（学習率 0.1 の SGD）で見ました。
